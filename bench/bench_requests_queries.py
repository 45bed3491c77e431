"""get_statistics and the first page of get_pending_approval over 1,000,000 requests.

Goals: get_statistics at most 50 ms, get_pending_approval (first page) at most 5 ms.
Run: .venv/bin/python bench/bench_requests_queries.py [rows]
"""

from __future__ import annotations

import asyncio
import sys
import time

from requests_support import migrated_database, summary, timed
from sqlalchemy import text

from services.kernel.db import Database
from services.kernel.settings import Settings
from services.requests.repositories import RequestRepository

FILL = """
INSERT INTO requests.requests
    (id, created_by, status, source_system, description, cim_required, created_at, updated_at)
SELECT gen_random_uuid(),
       ('00000000-0000-4000-8000-' || lpad(to_hex(i % 5000), 12, '0'))::uuid,
       (ARRAY['NEW','NEW','PENDING_APPROVAL','APPROVED','REJECTED','GENERATING_TA',
              'VALIDATING','COMPLETED','COMPLETED','COMPLETED','COMPLETED','FAILED']
       )[1 + (i::bigint * 7919) % 12]::requests.request_status,
       'source ' || (i % 300), 'bench request ' || i, true,
       now() - make_interval(secs => i), now()
FROM generate_series(1, :rows) AS i
"""


async def run(url: str, rows: int) -> None:
    db = Database.from_settings(Settings(database_url=url))
    if True:
        try:
            started = time.perf_counter()
            async with db.engine.begin() as conn:
                await conn.execute(text(FILL), {"rows": rows})
            async with db.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE requests.requests"))
            print(f"filled {rows:,} requests in {time.perf_counter() - started:.1f} s")

            async def stats() -> object:
                async with db.read_only() as session:
                    return await RequestRepository(session).get_statistics()

            async def pending() -> object:
                async with db.read_only() as session:
                    return await RequestRepository(session).get_pending_approval(0, 50)

            counts = await stats()
            print("counts:", counts)
            first_page = await pending()
            assert len(first_page) == 50  # type: ignore[arg-type]
            await timed(stats, 3)  # warm up
            print(summary("get_statistics", await timed(stats, 30), 50))
            await timed(pending, 20)
            print(summary("get_pending_approval first page", await timed(pending, 200), 5))
        finally:
            await db.dispose()


def main(rows: int) -> None:
    with migrated_database() as (url, _):
        asyncio.run(run(url, rows))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
