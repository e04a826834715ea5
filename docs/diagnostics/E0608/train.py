"""Trains a gradient-boosted classifier; run by fixed.mlf as `python file "train.py"`."""
import os
import pickle

import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier

df = pd.read_csv(os.environ["MLFORGE_IN_FEATURES"])
clf = GradientBoostingClassifier(n_estimators=int(os.environ["MLFORGE_IN_N_ESTIMATORS"]))
clf.fit(df.drop(columns="target"), df["target"])
with open(os.environ["MLFORGE_OUT_MODEL"], "wb") as f:
    pickle.dump(clf, f)
