"""What every `enrich` command shares: the settings and the runtime of one invocation."""

from __future__ import annotations

import click

from enrich import runtime
from enrich.config import Settings, load_settings


def settings_from(ctx: click.Context) -> Settings:
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        obj["settings"] = load_settings()
    settings: Settings = obj["settings"]
    return settings


def use_runtime(ctx: click.Context, *, embedded_worker: bool = True) -> runtime.Runtime:
    rt = runtime.install(runtime.build(settings_from(ctx), embedded_worker=embedded_worker))
    ctx.call_on_close(runtime.uninstall)
    return rt
