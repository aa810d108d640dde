"""``xinyong synth``: write a deterministic synthetic data set (mounted by the root CLI as
``app.add_typer(synth_app, name="synth")``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xinyong.synth.generate import DEFAULT_SEED, FORMATS, generate

synth_app = typer.Typer(help="生成确定性的合成数据（杭州市主体与各类信用信息）")
console = Console()


@synth_app.callback(invoke_without_command=True)
def synth(
    enterprises: Annotated[
        int, typer.Option("--enterprises", min=1, help="主体（法人及个体工商户）数量")
    ],
    records: Annotated[
        int, typer.Option("--records", min=0, help="信用信息记录数（不含登记信息）")
    ],
    persons: Annotated[
        int | None, typer.Option("--persons", min=0, help="自然人数量（默认为主体数的一半）")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="输出目录")] = Path("synth-data"),
    seed: Annotated[int, typer.Option("--seed", help="随机种子")] = DEFAULT_SEED,
    formats: Annotated[
        str, typer.Option("--format", help="输出格式，逗号分隔：csv,parquet")
    ] = ",".join(FORMATS),
) -> None:
    """生成合成数据：每类信息、每个数据来源单位一个 CSV / Parquet 文件，以及 departments.csv 和 manifest.json。"""
    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise typer.BadParameter(
            f"不支持的格式：{', '.join(bad) or '（空）'}", param_hint="--format"
        )
    people = enterprises // 2 if persons is None else persons
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("生成", total=enterprises + records)

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        manifest = generate(
            out,
            enterprises=enterprises,
            records=records,
            persons=people,
            seed=seed,
            formats=wanted,
            progress=step,
        )
    table = Table("信息类型", "记录数")
    for code, n in manifest.counts.items():
        table.add_row(code, str(n))
    console.print(table)
    console.print(f"已写入 {len(manifest.files)} 组文件到 {out}（种子 {seed}）", highlight=False)
