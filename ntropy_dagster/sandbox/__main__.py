"""Command line: ``python -m ntropy_dagster.sandbox`` (console script ``ntropy-sandbox``)."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from .config import DEFAULT_API_KEY, FaultConfig, RealisticLimits, SandboxConfig


def _rate_limit_override(text: str) -> tuple[str, float]:
    endpoint, sep, value = text.rpartition("=")
    if not sep or not endpoint.strip():
        raise argparse.ArgumentTypeError("expected 'METHOD /v3/path=OPS_PER_SECOND'")
    return endpoint.strip(), float(value)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="ntropy-sandbox",
        description="Serve an offline, Ntropy-compatible v3 API (state in SQLite; batches, bank statements, "
        "webhooks, fault injection).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind (default: %(default)s)")
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"accepted X-Api-Key value; repeat for several keys (default: {DEFAULT_API_KEY})",
    )
    parser.add_argument(
        "--db", help="SQLite file shared by all processes of this sandbox (default: a temp file)"
    )
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument(
        "--rate", type=float, default=2000.0, help="batch speed in tx/s (default: %(default)s)"
    )
    speed.add_argument("--instant", action="store_true", help="batches and bank statements complete at once")
    parser.add_argument(
        "--statement-delay", type=float, default=2.0, help="seconds a bank statement processes (default: 2)"
    )
    faults = parser.add_argument_group("fault injection")
    faults.add_argument(
        "--rate-limit", action="store_true", help="enforce the documented per-endpoint limits"
    )
    faults.add_argument(
        "--rate-limit-override",
        action="append",
        default=[],
        type=_rate_limit_override,
        metavar="'METHOD /v3/path=OPS'",
        help="ops/s for one endpoint, e.g. 'GET /v3/batches/{batch_id}=2' (repeatable)",
    )
    faults.add_argument(
        "--error-rate", type=float, default=0.0, help="share of /v3 requests answered with an error"
    )
    faults.add_argument(
        "--error-status",
        action="append",
        type=int,
        dest="error_statuses",
        help="status(es) for injected errors",
    )
    faults.add_argument("--latency-ms", type=int, default=0, help="added latency per /v3 request")
    faults.add_argument("--seed", type=int, help="seed for reproducible random errors")
    limits = parser.add_argument_group(
        "realistic limits",
        "enforce the API's documented limits (credit bucket 100,000 refilled at 1,000/s, 10 concurrent "
        "enrichment operations, per-endpoint ops/s; 429 + Retry-After) with modelled batch processing time",
    )
    limits.add_argument("--realistic-limits", action="store_true", help="turn the mode on")
    limits.add_argument(
        "--time-scale",
        type=float,
        default=None,
        metavar="N",
        help="divide every documented time by N: refill and endpoint limits x N, processing time / N "
        "(default: 1; needs --realistic-limits)",
    )
    limits.add_argument(
        "--operation-rate",
        type=float,
        default=None,
        metavar="TX_PER_S",
        help="assumed transactions one operation processes per second, unscaled (default: 100)",
    )
    limits.add_argument(
        "--operation-overhead",
        type=float,
        default=None,
        metavar="SECONDS",
        help="assumed fixed seconds of every operation, unscaled (default: 1)",
    )
    hooks = parser.add_argument_group("webhooks")
    hooks.add_argument("--webhook-timeout", type=float, default=10.0, help="seconds per delivery attempt")
    hooks.add_argument("--webhook-max-attempts", type=int, default=8, help="attempts per event and webhook")
    hooks.add_argument("--webhook-backoff", type=float, default=1.0, help="first retry delay (doubles)")
    hooks.add_argument("--no-webhooks", action="store_true", help="do not deliver webhooks from this process")
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default: %(default)s)")
    return parser


def realistic_limits_from_args(args: argparse.Namespace) -> RealisticLimits | None:
    """The :class:`RealisticLimits` asked for, or ``None``; model options without the mode are an error."""
    tuning = {
        "time_scale": args.time_scale,
        "operation_rate": args.operation_rate,
        "operation_overhead": args.operation_overhead,
    }
    given = {name: value for name, value in tuning.items() if value is not None}
    if not args.realistic_limits:
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise ValueError(f"{flags}: needs --realistic-limits")
        return None
    return RealisticLimits(**given)


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """Translate parsed arguments into a :class:`SandboxConfig`."""
    faults = FaultConfig(
        rate_limit=args.rate_limit,
        rate_limits=dict(args.rate_limit_override),
        error_rate=args.error_rate,
        error_statuses=tuple(args.error_statuses or (500, 503)),
        latency_ms=args.latency_ms,
        seed=args.seed,
    )
    return SandboxConfig(
        api_keys=tuple(args.api_keys or (DEFAULT_API_KEY,)),
        db_path=args.db,
        rate=None if args.instant else args.rate,
        statement_delay=0.0 if args.instant else args.statement_delay,
        faults=faults,
        webhook_timeout=args.webhook_timeout,
        webhook_max_attempts=args.webhook_max_attempts,
        webhook_backoff=args.webhook_backoff,
        dispatch_webhooks=not args.no_webhooks,
        realistic_limits=realistic_limits_from_args(args),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    import uvicorn

    from .app import create_app

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level=args.log_level.lower())


if __name__ == "__main__":
    main()
