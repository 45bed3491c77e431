"""The route table: which binding serves a method and a raw path.

Selection follows grpc-gateway: templates with a custom verb are tried first (when one
matches the path, only verb templates are considered, so `POST /v1/requests/x:submit`
never falls into `{request_id}`); among the rest the most specific template wins
(more literal segments, then no `**`), so `/v1/users/me` beats `/v1/users/{user_id}`.
A path that matches only under other methods is a 405 with those methods in `Allow`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from services.gateway.descriptors import HttpBinding


@dataclass(frozen=True)
class Match:
    binding: HttpBinding
    variables: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    allowed: tuple[str, ...]


class DuplicateRoute(ValueError):
    """Two bindings with the same method and template."""


class RouteTable:
    def __init__(self, bindings: Iterable[HttpBinding]) -> None:
        self.bindings = list(bindings)
        seen: dict[tuple[str, str], HttpBinding] = {}
        for binding in self.bindings:
            key = (binding.http_method, binding.template.openapi_path())
            if key in seen:
                raise DuplicateRoute(
                    f"{key[0]} {key[1]} is bound to both {seen[key].rpc.path} "
                    f"and {binding.rpc.path}"
                )
            seen[key] = binding
        ordered = sorted(self.bindings, key=lambda b: b.template.specificity, reverse=True)
        # verb -> templates with that verb; fixed-length templates by segment count.
        self._verbs: dict[str, list[HttpBinding]] = defaultdict(list)
        self._fixed: dict[int, list[HttpBinding]] = defaultdict(list)
        self._multi: list[HttpBinding] = []
        for binding in ordered:
            template = binding.template
            if template.verb:
                self._verbs[template.verb].append(binding)
            elif template.has_multi:
                self._multi.append(binding)
            else:
                self._fixed[len(template.segments)].append(binding)

    def match(self, method: str, raw_path: str) -> Match | MethodNotAllowed | None:
        """The binding for `method` and the still percent-encoded path; None: no route.

        Raises UnicodeDecodeError when a variable's percent-encoding is not UTF-8.
        """
        if not raw_path.startswith("/"):
            return None
        segments = raw_path[1:].split("/")
        last = segments[-1]
        colon = last.rfind(":")
        if colon >= 0:
            candidates = self._verbs.get(last[colon + 1 :])
            if candidates:
                stripped = [*segments[:-1], last[:colon]]
                found = self._select(method, stripped, candidates)
                if found is not None:
                    return found
        plain = self._fixed.get(len(segments), [])
        candidates = self._merge(plain, self._multi) if self._multi else plain
        return self._select(method, segments, candidates)

    @staticmethod
    def _merge(first: list[HttpBinding], second: list[HttpBinding]) -> list[HttpBinding]:
        return sorted([*first, *second], key=lambda b: b.template.specificity, reverse=True)

    @staticmethod
    def _select(
        method: str, segments: list[str], candidates: list[HttpBinding]
    ) -> Match | MethodNotAllowed | None:
        for binding in candidates:
            if binding.http_method == method:
                variables = binding.template.match(segments)
                if variables is not None:
                    return Match(binding, variables)
        allowed = {
            b.http_method
            for b in candidates
            if b.http_method != method and b.template.match(segments) is not None
        }
        return MethodNotAllowed(tuple(sorted(allowed))) if allowed else None

    def methods_for(self, raw_path: str) -> tuple[str, ...]:
        """Every method some binding serves at this path (for CORS preflight and Allow)."""
        try:
            found = self.match("", raw_path)
        except UnicodeDecodeError:
            return ()
        return found.allowed if isinstance(found, MethodNotAllowed) else ()
