"""Dataflows in the style of Apache Hamilton's contrib ones, run by Apache Hamilton's Driver and
by ours, compared node by node: a model-selection flow (a least-squares "model" over a grid of
penalties), a per-series forecasting flow (a Parallelizable over series ids) and a flow whose
nodes change frames in place, where every difference must carry a warning."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apache_hamilton import hamilton_base, hamilton_driver, marks
from hamilton_nb import driver as our_driver
from hamilton_nb.graph.parallel import roles

pytestmark = marks("hamilton") + [pytest.mark.filterwarnings("ignore::UserWarning"),
                                  pytest.mark.filterwarnings("ignore:The inplace keyword")]

MODEL_SELECTION = '''
import numpy as np
import pandas as pd
from hamilton.function_modifiers import extract_fields, parameterize, source, tag, value


def raw_data(n_rows: int, seed: int) -> pd.DataFrame:
    """Two features and a noisy linear target."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n_rows), rng.normal(size=n_rows)
    y = 3.0 * x1 - 2.0 * x2 + 0.5 + rng.normal(scale=0.3, size=n_rows)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": y})


@extract_fields({"train_set": pd.DataFrame, "valid_set": pd.DataFrame})
def data_split(raw_data: pd.DataFrame, valid_fraction: float) -> dict:
    cut = int(len(raw_data) * (1 - valid_fraction))
    return {"train_set": raw_data.iloc[:cut], "valid_set": raw_data.iloc[cut:]}


def feature_names() -> list:
    return ["x1", "x2"]


def _design(frame: pd.DataFrame, columns: list) -> np.ndarray:
    return np.column_stack([np.ones(len(frame))] + [frame[c].to_numpy() for c in columns])


@parameterize(
    trial_ridge_0={"penalty": value(0.0)},
    trial_ridge_1={"penalty": value(1.0)},
    trial_ridge_30={"penalty": value(30.0)},
    trial_ridge_tuned={"penalty": source("tuned_penalty")},
)
def trial(train_set: pd.DataFrame, valid_set: pd.DataFrame, feature_names: list, penalty: float) -> dict:
    """A ridge least-squares fit on the training rows, scored on the validation rows."""
    x, y = _design(train_set, feature_names), train_set["y"].to_numpy()
    eye = np.eye(x.shape[1])
    eye[0, 0] = 0.0  # the intercept is not penalised
    coef = np.linalg.solve(x.T @ x + penalty * eye, x.T @ y)
    residual = valid_set["y"].to_numpy() - _design(valid_set, feature_names) @ coef
    return {"penalty": penalty, "coef": coef, "valid_rmse": float(np.sqrt(np.mean(residual ** 2)))}


def trials(trial_ridge_0: dict, trial_ridge_1: dict, trial_ridge_30: dict, trial_ridge_tuned: dict) -> pd.DataFrame:
    rows = [trial_ridge_0, trial_ridge_1, trial_ridge_30, trial_ridge_tuned]
    return pd.DataFrame({"penalty": [r["penalty"] for r in rows],
                         "valid_rmse": [r["valid_rmse"] for r in rows]})


@extract_fields({"best_penalty": float, "best_coef": np.ndarray})
def best_trial(trials: pd.DataFrame, trial_ridge_0: dict, trial_ridge_1: dict, trial_ridge_30: dict,
               trial_ridge_tuned: dict) -> dict:
    pick = [trial_ridge_0, trial_ridge_1, trial_ridge_30, trial_ridge_tuned][int(trials["valid_rmse"].idxmin())]
    return {"best_penalty": pick["penalty"], "best_coef": pick["coef"]}


def predictions(valid_set: pd.DataFrame, feature_names: list, best_coef: np.ndarray) -> pd.Series:
    return pd.Series(_design(valid_set, feature_names) @ best_coef, index=valid_set.index, name="prediction")


@tag(stage="evaluation")
def valid_metrics(valid_set: pd.DataFrame, predictions: pd.Series) -> dict:
    error = valid_set["y"] - predictions
    total = ((valid_set["y"] - valid_set["y"].mean()) ** 2).sum()
    return {"rmse": float(np.sqrt((error ** 2).mean())), "mae": float(error.abs().mean()),
            "r2": float(1 - (error ** 2).sum() / total)}
'''

SERIES_FORECAST = '''
import numpy as np
import pandas as pd
from hamilton.function_modifiers import extract_columns, parameterize_sources
from hamilton.htypes import Collect, Parallelizable


def sales_long(n_days: int) -> pd.DataFrame:
    """Daily sales of three stores in long form (unique_id, ds, y), weekly seasonal."""
    days = pd.date_range("2024-01-01", periods=n_days, freq="D")
    rows = []
    for k, store in enumerate(["store_a", "store_b", "store_c"]):
        season = np.array([0, 1, 3, 2, 5, 8, 4], dtype=float) * (k + 1)
        y = 10.0 * (k + 1) + season[np.arange(n_days) % 7] + 0.1 * np.arange(n_days)
        rows.append(pd.DataFrame({"unique_id": store, "ds": days, "y": y}))
    return pd.concat(rows, ignore_index=True)


@extract_columns("store_a", "store_b", "store_c")
def sales_wide(sales_long: pd.DataFrame) -> pd.DataFrame:
    wide = sales_long.pivot(index="ds", columns="unique_id", values="y")
    wide.columns.name = None
    return wide


@parameterize_sources(store_a_smooth={"series": "store_a"}, store_b_smooth={"series": "store_b"})
def smooth(series: pd.Series, window: int) -> pd.Series:
    return series.rolling(window, min_periods=1).mean()


def series_id(sales_long: pd.DataFrame) -> Parallelizable[str]:
    for uid in sorted(sales_long["unique_id"].unique()):
        yield uid


def history(series_id: str, sales_long: pd.DataFrame) -> pd.Series:
    rows = sales_long[sales_long["unique_id"] == series_id]
    return pd.Series(rows["y"].to_numpy(), index=pd.DatetimeIndex(rows["ds"]), name=series_id)


def seasonal_naive(history: pd.Series, season_length: int, horizon: int) -> np.ndarray:
    last = history.to_numpy()[-season_length:]
    return np.resize(last, horizon)


def rolling_mean_forecast(history: pd.Series, window: int, horizon: int) -> np.ndarray:
    return np.full(horizon, history.iloc[-window:].mean())


def series_forecast(series_id: str, history: pd.Series, seasonal_naive: np.ndarray,
                    rolling_mean_forecast: np.ndarray) -> pd.DataFrame:
    ds = pd.date_range(history.index[-1] + pd.Timedelta(days=1), periods=len(seasonal_naive), freq="D")
    return pd.DataFrame({"unique_id": series_id, "ds": ds, "SeasonalNaive": seasonal_naive,
                         "RollingMean": rolling_mean_forecast})


def forecasts(series_forecast: Collect[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(series_forecast, ignore_index=True)


def forecast_totals(forecasts: pd.DataFrame) -> pd.DataFrame:
    return forecasts.groupby("unique_id")[["SeasonalNaive", "RollingMean"]].sum()
'''

IN_PLACE = '''
import pandas as pd
from hamilton.function_modifiers import parameterize, value


def orders(n_orders: int) -> pd.DataFrame:
    return pd.DataFrame({"price": [float(10 + i % 4) for i in range(n_orders)],
                         "qty": [1 + i % 3 for i in range(n_orders)],
                         "region": ["north", "south"] * (n_orders // 2) + ["north"] * (n_orders % 2)})


def with_revenue(orders: pd.DataFrame) -> pd.DataFrame:
    orders["revenue"] = orders["price"] * orders["qty"]  # in place
    return orders


def discounted(with_revenue: pd.DataFrame, discount: float) -> pd.DataFrame:
    with_revenue["price"] *= 1 - discount  # in place on an upstream value
    with_revenue["revenue"] = with_revenue["price"] * with_revenue["qty"]
    return with_revenue


def revenue_total(with_revenue: pd.DataFrame) -> float:
    return float(with_revenue["revenue"].sum())


def discounted_total(discounted: pd.DataFrame) -> float:
    return float(discounted["revenue"].sum())


@parameterize(north_orders={"name": value("north")}, south_orders={"name": value("south")})
def region_orders(orders: pd.DataFrame, name: str) -> int:
    return int((orders["region"] == name).sum())


def order_columns(orders: pd.DataFrame) -> int:
    return len(orders.columns)


def mean_price(orders: pd.DataFrame) -> float:
    return float(orders["price"].mean())


def summary(revenue_total: float, discounted_total: float, north_orders: int, south_orders: int) -> dict:
    return {"saved": round(revenue_total - discounted_total, 6), "north": north_orders, "south": south_orders}
'''


def differs(a, b) -> bool:
    """Whether two node values differ (frames, series, arrays, dicts and lists element-wise)."""
    if isinstance(b, (pd.DataFrame, pd.Series)):
        try:
            (pd.testing.assert_frame_equal if isinstance(b, pd.DataFrame) else pd.testing.assert_series_equal)(a, b)
        except AssertionError:
            return True
        return False
    if isinstance(b, np.ndarray):
        return not (isinstance(a, np.ndarray) and a.shape == b.shape and np.array_equal(a, b))
    if isinstance(b, dict):
        return not isinstance(a, dict) or a.keys() != b.keys() or any(differs(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)):
        return len(a) != len(b) or any(differs(x, y) for x, y in zip(a, b))
    return type(a) is not type(b) and not isinstance(a, (int, float)) or a != b


def node_names(dr, skip=()) -> list[str]:
    return [v.name for v in dr.list_available_variables() if not v.is_external_input and v.name not in skip]


def theirs_static(module, config: dict):
    return hamilton_driver.Driver(dict(config), module,
                                  adapter=hamilton_base.SimplePythonGraphAdapter(hamilton_base.DictResult()))


def test_model_selection_flow_equals_apache_hamiltons_node_by_node(make_module):
    module = make_module("model_selection_flow", MODEL_SELECTION)
    inputs = {"n_rows": 120, "seed": 7, "valid_fraction": 0.25, "tuned_penalty": 3.0}
    theirs = theirs_static(module, {})
    names = node_names(theirs)
    assert {"trial_ridge_0", "trial_ridge_tuned", "best_penalty", "best_coef", "valid_metrics"} <= set(names)
    expected = theirs.execute(names, inputs=inputs)
    ours = our_driver.Driver({}, module, result="dict")
    assert sorted(v["name"] for v in ours.list_available_variables() if not v["is_external_input"]) == sorted(names)
    actual = ours.execute(names, inputs=inputs)
    assert [n for n in names if differs(actual[n], expected[n])] == []
    assert ours.warnings == {}
    assert actual["valid_metrics"]["r2"] > 0.9 and actual["best_penalty"] in (0.0, 1.0, 3.0, 30.0)


def test_series_forecast_flow_with_a_parallel_block_equals_apache_hamiltons(make_module):
    module = make_module("series_forecast_flow", SERIES_FORECAST)
    inputs = {"n_days": 28, "window": 7, "season_length": 7, "horizon": 5}
    theirs = hamilton_driver.Builder().with_modules(module) \
        .enable_dynamic_execution(allow_experimental_mode=True) \
        .with_adapters(hamilton_base.DictResult()).build()
    ours = our_driver.Builder().with_modules(module).enable_dynamic_execution(allow_experimental_mode=True) \
        .with_adapters(hamilton_base.DictResult()).build()
    branch = {n for n, role in roles(ours.graph).items() if role.kind == "branch"}
    assert branch == {"history", "seasonal_naive", "rolling_mean_forecast", "series_forecast"}
    names = node_names(theirs, skip=branch)  # a branch node has no single value to ask for
    assert {"store_a", "store_c", "store_a_smooth", "series_id", "forecasts", "forecast_totals"} <= set(names)
    expected = theirs.execute(names, inputs=inputs)
    actual = ours.execute(names, inputs=inputs)
    assert [n for n in names if differs(actual[n], expected[n])] == []
    assert ours.warnings == {}
    assert len(actual["forecasts"]) == 3 * 5 and list(actual["forecast_totals"].index) == ["store_a", "store_b", "store_c"]


def _in_place_runs(make_module):
    module = make_module("in_place_flow", IN_PLACE)
    inputs = {"n_orders": 7, "discount": 0.1}
    theirs = theirs_static(module, {})
    names = node_names(theirs)
    expected = theirs.execute(names, inputs=inputs)
    ours = our_driver.Driver({}, module, result="dict")
    actual = ours.execute(names, inputs=inputs)
    return ours, names, actual, [n for n in names if differs(actual[n], expected[n])]


def test_a_flow_changing_frames_in_place_differs_only_where_warned(make_module):
    ours, names, actual, different = _in_place_runs(make_module)
    assert different, "Apache Hamilton shows the changes made in place"
    warned = set(ours.warnings)
    # the changers and the values they changed, the readers Apache Hamilton computes after a change
    # that it computes differently, and `summary`, computed from one; north/south_orders read
    # `orders` after the change too, but its `region` stays equal, so they give the same value
    assert warned == {"orders", "with_revenue", "discounted", "mean_price", "order_columns", "revenue_total",
                      "summary"}
    # each difference is on a warned node or on a node reading (through any path) a value that
    # a warning says was changed in place; every other node is equal
    reads_changed = set()
    for name in warned:
        reads_changed |= ours.graph.downstream_of(name)
    unexplained = [n for n in different if n not in warned and n not in reads_changed]
    assert unexplained == [], f"differs from Apache Hamilton with no warning upstream: {unexplained}"
    assert set(names) - set(different) >= {"discounted_total", "north_orders", "south_orders"}
    assert list(actual["orders"].columns) == ["price", "qty", "region"]  # ours keeps `orders` as returned
    assert actual["order_columns"] == 3 and actual["revenue_total"] == pytest.approx(
        float((actual["orders"]["price"] * actual["orders"]["qty"]).sum()))


def test_every_node_differing_from_apache_hamilton_carries_its_own_warning(make_module):
    ours, _, _, different = _in_place_runs(make_module)
    assert [n for n in different if not ours.warnings.get(n)] == []


def test_which_readers_differ_follows_apache_hamiltons_order_and_only_they_are_warned(make_module):
    module = make_module("in_place_order", IN_PLACE)
    inputs = {"n_orders": 5, "discount": 0.2}
    # Apache Hamilton computes `revenue_total` (inside `summary`) before `discounted` changes its input:
    # every value equals ours, and nothing but the changers and the values they changed is warned
    for names, differing in ((["order_columns", "mean_price", "summary"], []),
                             (["discounted", "summary"], ["summary"])):  # now after: summary differs
        expected = theirs_static(module, {}).execute(names, inputs=inputs)
        ours = our_driver.Driver({}, module, result="dict")
        actual = ours.execute(names, inputs=inputs)
        assert [n for n in names if differs(actual[n], expected[n])] == differing
        readers = set(ours.warnings) - {"orders", "with_revenue", "discounted"}
        assert readers == ({"revenue_total", "summary"} if differing else set())
