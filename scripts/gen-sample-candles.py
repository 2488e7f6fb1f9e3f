#!/usr/bin/env python3
"""gen-sample-candles: the bundled sample candles (synthetic, deterministic).

A random walk with volatility clustering (GARCH(1,1)-like) and a few regimes,
so strategies and the RL demo have trends and ranges to work on. Prices keep
the exchange's tick (0.01), volumes 5 decimals. Not real market data.
Usage: scripts/gen-sample-candles.py > share/autobot/sample/candles/...csv
"""
import math
import random
import sys

def series(seed, start_price, hours, start_ts=1704067200):
    rnd = random.Random(seed)
    price, var = start_price, 0.006 ** 2
    drift_regimes = [0.0004, -0.0003, 0.0, 0.0005, -0.0002, 0.0001]
    print("timestamp,open,high,low,close,volume")
    for i in range(hours):
        drift = drift_regimes[(i // 360) % len(drift_regimes)]
        shock = rnd.gauss(0, 1)
        ret = drift + math.sqrt(var) * shock
        var = 0.000002 + 0.08 * (ret - drift) ** 2 + 0.9 * var
        o = price
        c = max(0.01, o * math.exp(ret))
        wick = abs(rnd.gauss(0, math.sqrt(var))) * 0.6
        h = max(o, c) * (1 + wick)
        l = min(o, c) * (1 - abs(rnd.gauss(0, math.sqrt(var))) * 0.6)
        o, h, l, c = (round(x, 2) for x in (o, h, l, c))
        h, l = max(h, o, c), min(l, o, c)
        vol = round(abs(rnd.gauss(1.0, 0.4)) * 900 * (1 + 40 * abs(ret)), 5)
        ts = start_ts + 3600 * i
        sys.stdout.write("%s,%.2f,%.2f,%.2f,%.2f,%.5f\n" % (
            __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(ts)),
            o, h, l, c, vol))
        price = c

if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "BTC"
    if which == "BTC":
        series(20240101, 42283.58, 24 * 120)
    else:
        series(20240102, 2281.47, 24 * 120)
