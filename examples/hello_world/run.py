"""Run the hello-world features: `python examples/hello_world/run.py`."""
import pandas as pd

import my_functions
from hamilton_nb import driver

initial_columns = {
    "year": pd.Series([2025] * 6),
    "week": pd.Series([1, 2, 3, 4, 5, 6]),
    "signups": pd.Series([1, 10, 50, 100, 200, 400]),
    "spend": pd.Series([10, 10, 20, 40, 40, 50]),
}

if __name__ == "__main__":
    dr = driver.Driver(initial_columns, my_functions)
    output_columns = ["year", "week", "spend", "signups", "avg_3wk_spend", "spend_per_signup",
                      "spend_shift_3weeks", "spend_shift_3weeks_per_signup", "special_feature"]
    print(dr.execute(output_columns).to_string())
