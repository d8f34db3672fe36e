# Calls into packages outside the repository keep their full import path.
import json
import os.path as osp
from collections import OrderedDict


def load(path):
    if osp.exists(path):  # WANT: external.load -> os.path.exists
        with open(path) as f:  # WANT: external.load -> <builtin>.open
            return json.load(f)  # WANT: external.load -> json.load
    return OrderedDict()  # WANT: external.load -> collections.OrderedDict


load("x.json")  # WANT: external -> external.load
