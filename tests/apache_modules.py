"""Dataflow modules written the way Apache Hamilton users write them (``from hamilton...``).

Shared by the Apache Hamilton compatibility tests: each is run with Apache Hamilton's own
Driver and with ours, unchanged or with the import switched to ``hamilton_nb``, and every
node is compared.
"""
from __future__ import annotations

import pandas as pd

INPUTS = {
    "spend": pd.Series([10.0, 10, 20, 40, 40, 50]),
    "signups": pd.Series([1.0, 10, 50, 100, 200, 400]),
}

# Decorators hamilton_nb.function_modifiers also provides natively.
FEATURES = '''
import numpy as np
import pandas as pd
from hamilton.function_modifiers import (ParameterizedExtract, check_output, config, does, extract_columns,
    extract_fields, group, hamilton_exclude, inject, parameterize, parameterize_extract_columns,
    parameterize_sources, parameterize_values, source, tag, tag_outputs, unpack_fields, value)


@extract_columns("spend_2x", "spend_3x", "spend_flag", fill_with=0.0)
def spend_multiples(spend: pd.Series) -> pd.DataFrame:
    """Multiples of spend."""
    return pd.DataFrame({"spend_2x": spend * 2, "spend_3x": spend * 3})


@extract_fields({"spend_mean": float, "spend_max": float})
def spend_stats(spend: pd.Series) -> dict:
    return {"spend_mean": float(spend.mean()), "spend_max": float(spend.max())}


def spend_centered(spend: pd.Series, spend_mean: float) -> pd.Series:
    return spend - spend_mean


@parameterize(
    spend_lag_1={"series": source("spend"), "periods": value(1)},
    signups_lag_2=({"series": source("signups"), "periods": value(2)}, "Signups two periods ago."),
)
def lagged(series: pd.Series, periods: int) -> pd.Series:
    """{series} shifted by {periods}."""
    return series.shift(periods)


@parameterize_values(parameter="window", assigned_output={("spend_avg_2", "2-period mean"): 2,
                                                          ("spend_avg_3", "3-period mean"): 3})
def rolling_spend(spend: pd.Series, window: int) -> pd.Series:
    return spend.rolling(window).mean()


@parameterize_sources(spend_per_signup={"numerator": "spend", "denominator": "signups"})
def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator


@config.when(name="adjusted_spend", region="us")
def adjusted_for_us(spend: pd.Series) -> pd.Series:
    return spend * 1.1


@config.when_not(region="us")
def adjusted_spend__rest(spend: pd.Series) -> pd.Series:
    return spend * 0.9


@tag(owner="growth", stage="prod")
@check_output(range=(0, 1000), importance="warn")
def spend_capped(adjusted_spend: pd.Series) -> pd.Series:
    """Spend, capped at 45."""
    return adjusted_spend.clip(upper=45)


def _sum_all(**series: pd.Series) -> pd.Series:
    return sum(series.values())


@does(_sum_all)
def spend_sum(spend_2x: pd.Series, spend_3x: pd.Series) -> pd.Series:
    """The sum of the multiples."""


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return part / whole


@does(_share, part="spend", whole="spend_sum")
def spend_share(spend: pd.Series, spend_sum: pd.Series) -> pd.Series:
    pass


@hamilton_exclude
def helper_not_a_node(spend: pd.Series) -> pd.Series:
    return spend


@unpack_fields("spend_low", "spend_high")
def spend_bounds(spend: pd.Series) -> tuple[float, float]:
    return float(spend.min()), float(spend.max())


@parameterize_extract_columns(
    ParameterizedExtract(("band_1_low", "band_1_high"), {"width": value(1.0)}),
    ParameterizedExtract(("band_2_low", "band_2_high"), {"width": source("spend_low")}),
)
def bands(spend: pd.Series, width: float) -> pd.DataFrame:
    return pd.DataFrame({"low": spend - width, "high": spend + width})


@tag_outputs(signups_x2={"unit": "people"}, signups_x3={"unit": "people", "owner": "crm"})
@parameterize(signups_x2={"factor": value(2)}, signups_x3={"factor": value(3)})
def signups_scaled(signups: pd.Series, factor: int) -> pd.Series:
    return signups * factor


@inject(parts=group(source("spend_2x"), source("spend_3x"), value(pd.Series([1.0] * 6))), scale=value(0.5))
def spend_blend(parts: list[pd.Series], scale: float) -> pd.Series:
    return sum(parts) * scale


@inject(named=group(low=source("spend_low"), high=source("spend_high")))
def spend_range(named: dict[str, float]) -> float:
    return named["high"] - named["low"]


def spend_array(spend: pd.Series) -> np.ndarray:
    return np.float64(spend.mean())  # a numpy scalar under an ndarray hint: Apache Hamilton allows it
'''

# Decorators only Apache Hamilton resolves (hamilton_nb honours them through it).
MACROS = '''
import pandas as pd
from hamilton.function_modifiers import (apply_to, group, inject, mutate, pipe_input, pipe_output, source, step,
    subdag, value)


def _add(x: pd.Series, amount: float) -> pd.Series:
    return x + amount


def _scale(x: pd.Series, factor: float = 2.0) -> pd.Series:
    return x * factor


@pipe_output(step(_add, amount=value(1.0)), step(_scale))
def spend_piped(spend: pd.Series) -> pd.Series:
    return spend - 5


@pipe_input(step(_add, amount=value(10.0)).named("plus_ten"), on_input="signups")
def signups_piped(signups: pd.Series, spend: pd.Series) -> pd.Series:
    return signups * 1


def spend_base(spend: pd.Series) -> pd.Series:
    return spend / 10


def signups_base(signups: pd.Series) -> pd.Series:
    return signups / 10


@mutate(spend_base, signups_base, amount=value(100.0))
def _plus(x: pd.Series, amount: float) -> pd.Series:
    return x + amount


@mutate(apply_to(signups_base, factor=value(-1.0)))
def _negate(x: pd.Series, factor: float) -> pd.Series:
    return x * factor


@inject(parts=group(source("spend_base"), source("signups_base")))
def base_total(parts: list[pd.Series]) -> pd.Series:
    return sum(parts)


def _doubled(series: pd.Series) -> pd.Series:
    return series * 2


def _halved(series: pd.Series) -> pd.Series:
    return series / 2


@subdag(_doubled, _halved, inputs={"series": source("spend")})
def spend_round_trip(_halved: pd.Series) -> pd.Series:
    return _halved
'''

PARALLEL = '''
from hamilton.htypes import Collect, Parallelizable


def item(n: int) -> Parallelizable[int]:
    for i in range(n):
        yield i


def squared(item: int) -> int:
    return item * item


def total(squared: Collect[int]) -> int:
    return sum(squared)
'''

IO = '''
import pandas as pd
from hamilton.function_modifiers import dataloader, datasaver, load_from, save_to, source, value


@load_from.csv(path=source("sales_path"))
def sales_total(sales: pd.DataFrame) -> pd.Series:
    return sales["units"] * sales["price"]


@load_from.json(path=value("{folder}/settings.json"), inject_="settings")
def sales_scaled(sales_total: pd.Series, settings: dict) -> pd.Series:
    return sales_total * settings["scale"]


@load_from.parquet(path=value("{folder}/regions.parquet"))
def region_count(regions: pd.DataFrame) -> int:
    return len(regions)


@load_from.pickle(path=value("{folder}/weights.pkl"))
def weight(weights: dict) -> float:
    return float(weights["w"])


@dataloader()
def stores(stores_path: str) -> tuple[pd.DataFrame, dict]:
    frame = pd.read_csv(stores_path)
    return frame, {"rows": len(frame)}


def store_count(stores: pd.DataFrame) -> int:
    return len(stores)


@save_to.csv(path=value("{folder}/out_{who}.csv"), output_name_="save_report")
def report(sales_total: pd.Series) -> pd.DataFrame:
    return sales_total.to_frame("total")


@datasaver()
def save_weights(weight: float, weights_out: str) -> dict:
    pd.Series([weight]).to_csv(weights_out)
    return {"path": weights_out}
'''


def write_io_files(folder) -> dict:
    """The files IO reads; returns the inputs it needs."""
    import json

    (folder / "sales.csv").write_text("units,price\n1,2.5\n3,4.0\n5,1.0\n")
    (folder / "stores.csv").write_text("store\nnorth\nsouth\n")
    (folder / "settings.json").write_text(json.dumps({"scale": 2}))
    pd.DataFrame({"region": ["n", "s", "e"]}).to_parquet(folder / "regions.parquet")
    pd.to_pickle({"w": 0.5}, folder / "weights.pkl")
    return {"sales_path": str(folder / "sales.csv"), "stores_path": str(folder / "stores.csv")}

# Metadata, config-time decorators and the pandas with_columns plugin.
POWER = '''
import pandas as pd
from hamilton.function_modifiers import ResolveAt, parameterize, resolve, schema, value
from hamilton.plugins.h_pandas import with_columns


@schema.output(("spend", "float"), ("spend_x2", "float"))
def spend_frame(spend: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"spend": spend, "spend_x2": spend * 2})


@resolve(when=ResolveAt.CONFIG_AVAILABLE,
         decorate_with=lambda factors: parameterize(**{f"spend_times_{f}": {"k": value(f)} for f in factors}))
def spend_times(spend: pd.Series, k: int) -> pd.Series:
    return spend * k


def _spend_plus_x2(spend: pd.Series, spend_x2: pd.Series) -> pd.Series:
    return spend + spend_x2


@with_columns(_spend_plus_x2, columns_to_pass=["spend", "spend_x2"], select=["_spend_plus_x2"])
def spend_enriched(spend_frame: pd.DataFrame) -> pd.DataFrame:
    return spend_frame
'''
