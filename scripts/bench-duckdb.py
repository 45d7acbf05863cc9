#!/usr/bin/env python3
"""Runs scripts/bench-duckdb.sql with DuckDB on 2 threads.

usage: bench-duckdb.py CATALOG.csv OUT.jsonl
"""
import pathlib
import sys

import duckdb


def main() -> None:
    catalog, out = sys.argv[1], sys.argv[2]
    sql = (pathlib.Path(__file__).parent / "bench-duckdb.sql").read_text()
    sql = sql.replace("$catalog", "'" + catalog.replace("'", "''") + "'")
    sql = sql.replace("$out", "'" + out.replace("'", "''") + "'")
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute(sql)


if __name__ == "__main__":
    main()
