"""Screenshots of the showcase in the Dagster UI, taken with headless Chromium (not part of CI).

    bash scripts/screenshots.sh        # runs the showcase with --ui, then this script, then stops it

or, with a showcase already up (``bash scripts/example.sh --ui``)::

    python scripts/screenshots.py --url http://127.0.0.1:3000 --out docs/images

Writes ``asset-graph.png`` (the global asset lineage, every group expanded) and ``enriched-asset.png``
(the page of ``ntropy_enriched_transactions``). Chromium (Debian's ``chromium`` package) is driven through
its DevTools protocol, with the ``websockets`` package the sandbox's server already depends on: the lineage
needs a key press (Alt+E, "expand all groups") that a plain ``chromium --screenshot`` cannot give.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

WIDTH, HEIGHT = 1600, 1000
ZOOM_IN = "document.querySelector('[aria-label=zoom_in]')?.closest('button')?.click()"
# Clicks "Hide navigation", then the icon button right after "Reload definitions" (it hides the asset tree).
HIDE_PANELS = """(() => {
    const buttons = [...document.querySelectorAll('button')];
    const text = t => buttons.find(b => b.textContent.trim() === t);
    const reload = buttons.indexOf(text('Reload definitions'));
    const tree = reload >= 0 ? buttons[reload + 1] : null;
    text('Hide navigation')?.click();
    tree?.click();
})()"""


class Browser:
    """One page of a headless Chromium, driven through the DevTools protocol."""

    def __init__(self, socket_url: str) -> None:
        self._url = socket_url
        self._ids = itertools.count(1)
        self._conn: Any = None

    async def __aenter__(self) -> Browser:
        self._conn = await websockets.connect(self._url, max_size=64 * 2**20)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._conn.close()

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events in between are skipped)."""
        message_id = next(self._ids)
        await self._conn.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self._conn.recv())
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result

    async def open(self, url: str, settle: float) -> None:
        """Navigate and give the page's queries ``settle`` seconds to render."""
        await self.call("Page.navigate", url=url)
        await asyncio.sleep(settle)

    async def key(self, key: str, code: str, key_code: int, modifiers: int = 0) -> None:
        """Press and release one key (modifiers: 1 Alt, 2 Ctrl, 4 Meta, 8 Shift)."""
        for kind in ("keyDown", "keyUp"):
            await self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=code,
                windowsVirtualKeyCode=key_code,
                modifiers=modifiers,
            )

    async def run_js(self, expression: str) -> Any:
        """Evaluate ``expression`` in the page and return its value."""
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def screenshot(self, path: Path) -> None:
        """Capture the page as a PNG, reduced to a 128-colour palette (a UI has few colours)."""
        data = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(data["data"]))
        shrink(path)
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def shrink(path: Path) -> None:
    """Re-encode ``path`` with a palette: a third of the size, no visible loss on a UI (skipped without
    Pillow, which reportlab, the statement renderer, brings)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(
            colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    palette.save(path, optimize=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_chromium(port: int, profile: str) -> subprocess.Popen[bytes]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if binary is None:
        raise SystemExit("chromium not found: apt-get install -y chromium")
    return subprocess.Popen(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1",
         f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def page_socket(port: int, timeout: float = 30) -> str:
    """The DevTools websocket of the browser's first page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            pages = [
                t for t in httpx.get(f"http://127.0.0.1:{port}/json", timeout=2).json() if t["type"] == "page"
            ]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
        time.sleep(0.3)
    raise SystemExit("chromium's DevTools endpoint did not come up")


async def take(ui: str, out: Path, settle: float, zoom: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as profile:
        chromium = start_chromium(port, profile)
        try:
            async with Browser(page_socket(port)) as page:
                await page.call("Page.enable")
                await page.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=WIDTH,
                    height=HEIGHT,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                await page.open(f"{ui}/asset-groups", settle)
                await page.run_js(HIDE_PANELS)  # more room for the graph: no navigation, no asset tree
                await asyncio.sleep(1)
                await page.key("e", "KeyE", 69, modifiers=1)  # Alt+E: expand every group
                await asyncio.sleep(settle / 2)
                for _ in range(zoom):  # closer: the nodes show their status, checks and partitions
                    await page.run_js(ZOOM_IN)
                    await asyncio.sleep(1)
                await page.screenshot(out / "asset-graph.png")
                await page.open(f"{ui}/assets/ntropy_enriched_transactions", settle)
                await page.screenshot(out / "enriched-asset.png")
        finally:
            with contextlib.suppress(ProcessLookupError):
                chromium.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                chromium.wait(10)
            with contextlib.suppress(ProcessLookupError):
                chromium.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the Dagster UI")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "images")
    parser.add_argument("--settle", type=float, default=8.0, help="seconds a page gets to render")
    parser.add_argument("--zoom", type=int, default=1, help="zoom-in steps on the asset graph")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # The "join the community" dialog shows on a fresh instance: mark it seen, as its Skip button would.
    httpx.post(
        f"{args.url}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=30
    ).raise_for_status()
    asyncio.run(take(args.url.rstrip("/"), args.out, args.settle, args.zoom))


if __name__ == "__main__":
    main()
