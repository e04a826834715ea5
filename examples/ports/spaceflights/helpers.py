"""Kedro's private node helpers (spaceflights `data_processing/nodes.py`), shared by the
second edition's preprocessing ops through `uses`."""

import pandas as pd


def is_true(x: pd.Series) -> pd.Series:
    return x == "t"


def parse_percentage(x: pd.Series) -> pd.Series:
    return x.str.replace("%", "").astype(float) / 100


def parse_money(x: pd.Series) -> pd.Series:
    return x.str.replace("$", "").str.replace(",", "").astype(float)
