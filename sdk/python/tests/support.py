# tests/support.py — owns test setup shared by the SDK's tests: puts the SDK (sdk/python)
# on sys.path after this folder's wit_world stand-ins, and locates the repo's test cases.
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(SDK))
CASES = os.path.join(REPO, "tests", "cases")

for path in (HERE, SDK):
    if path not in sys.path:
        sys.path.insert(0, path)
