#!/usr/bin/env bash
# ctest's runner for one python/tests file: runs it with pytest in the venv that `./setup.sh test` made.
# Exits 77 (ctest: skipped) with the reason when that venv is missing or could not be made.
#   run_pytest.sh VENV TEST_FILE [pytest args]
venv=$1
test_file=$2
shift 2
if [ -f "$venv.skip" ]; then
  echo "SKIPPED: the Python test venv could not be made: $(cat "$venv.skip")"
  exit 77
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "SKIPPED: no Python test venv at $venv; ./setup.sh test makes it (and builds the drivelab package into it)"
  exit 77
fi
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$test_file" "$@"
