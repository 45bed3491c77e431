"""The HTTP server around the app: start on a free port, no Nagle stalls, clean stop."""

from __future__ import annotations

import socket

import httpx

from tests.gateway.conftest import serve_gateway


async def test_connections_have_nodelay(gateway, http):
    # A response goes out as headers then body; without TCP_NODELAY the body waits for
    # the client's delayed ACK (~40 ms on Linux) on every request of a kept-alive connection.
    assert (await http.get("/v1/nowhere")).status_code == 404
    connections = list(gateway._server.server_state.connections)
    assert connections
    for connection in connections:
        sock = connection.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


async def test_start_on_a_free_port_and_stop(runtime, echo_backend):
    running = await serve_gateway(runtime, {"gatewaytest": echo_backend.address})
    assert running.port > 0
    url = f"http://127.0.0.1:{running.port}/healthz"
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code in (200, 503)
    await running.stop()
    async with httpx.AsyncClient() as client:
        try:
            await client.get(url, timeout=2)
        except httpx.ConnectError:
            pass
        else:
            raise AssertionError("the gateway still answers after stop()")
