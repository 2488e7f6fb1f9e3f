#!/usr/bin/env python3
"""tests/mock/exchange.py: a loopback mock of six exchanges' public REST APIs.

Listens on 127.0.0.1, port 0 (the kernel picks a free one), writes the port
to --port-file, logs every request as "EPOCH_SECONDS PATH?QUERY" to --log,
and exits by itself after --lifetime seconds. Each exchange lives under its
own prefix: http://127.0.0.1:PORT/binance/api/v3/klines?... and so on.

Candles are generated (every exchange serves the same series, in its own
documented format, order, time unit, limits and paging rules); tickers,
books, trades and markets come from tests/fixtures/exchanges/NAME/. A
symbol's base picks a scenario:
  NOPE     unknown symbol, as the exchange reports it
  RL       HTTP 429 with Retry-After: 1 on the first request, then normal
  ERR      HTTP 503 every time
  FLAKY    HTTP 502 on the first request, then normal
  BODYERR  an error inside a 200 body (OKX code, Bybit retCode, Kraken error)
  SLOW     a rate-limit error inside a 200 body once (Bybit 10006, OKX 50011,
           Kraken EAPI:Rate limit exceeded), then normal
  EMPTY    a well-formed answer with no rows
GET /_expected?tf=1h&start=MS&end=MS prints the series as
"ts open high low close volume" lines, the oracle for the tests.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

ARGS = None
SEEN = {}
LOCK = threading.Lock()
SCENARIOS = ["BODYERR", "FLAKY", "EMPTY", "NOPE", "SLOW", "ERR", "RL"]
TF = {"1m": 60000, "3m": 180000, "5m": 300000, "15m": 900000, "30m": 1800000,
      "1h": 3600000, "2h": 7200000, "4h": 14400000, "6h": 21600000, "12h": 43200000,
      "1d": 86400000, "3d": 259200000}
FIRST = 1577836800000  # 2020-01-01: the series starts here


def candle(ts, tf):
    """The one series every exchange serves; None inside the gaps."""
    i = ts // tf
    if i % 200 in (150, 151, 152):
        return None
    base = 100 + (i % 97) * 0.25
    return (ts, base, base + 1.5, base - 0.75, base + 0.5, 10 + (i % 13) * 0.125)


def series(tf, lo, hi):
    """Candles with lo <= ts <= hi, oldest first, up to the open one."""
    now = ARGS.now
    lo = max(lo, FIRST)
    hi = min(hi, now // tf * tf)
    ts = -(-lo // tf) * tf
    out = []
    while ts <= hi:
        c = candle(ts, tf)
        if c:
            out.append(c)
        ts += tf
    return out


def f8(x):
    return "%.8f" % x


def g(x):
    """Shortest round-trip text, as ab-fetch prints numbers."""
    return str(int(x)) if x == int(x) else repr(float(x))


def isots(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + (".%03dZ" % (ms % 1000) if ms % 1000 else "Z")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, headers=None, ctype="application/json"):
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body, separators=(",", ":"))
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def fixture(self, ex, name):
        with open(os.path.join(ARGS.fixtures, ex, name), "rb") as fh:
            return fh.read()

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        with open(ARGS.log, "a") as fh:
            fh.write("%.6f %s\n" % (time.time(), self.path))
        parts = u.path.split("/", 2)
        if u.path == "/_expected":
            tf = TF[q["tf"]]
            rows = [r for r in series(tf, int(q["start"]), int(q["end"]) - 1) if r[0] + tf <= ARGS.now]
            head = '{"type":"candle","exchange":"%s","symbol":"%s","tf":"%s","ts":"' % (q["exchange"], q["symbol"], q["tf"])
            return self.send(200, "".join(head + '%s","open":%s,"high":%s,"low":%s,"close":%s,"volume":%s}\n' % (
                isots(r[0]), *map(g, r[1:])) for r in rows), ctype="text/plain")
        if len(parts) < 3 or not hasattr(self, "ex_" + parts[1]):
            return self.send(404, {"error": "no such mock exchange"})
        ex, path = parts[1], "/" + parts[2]
        sym = (q.get("symbol") or q.get("instId") or q.get("pair") or "").upper()
        if not sym and path.count("/") >= 3:
            sym = path.split("/")[4 if ex == "bitstamp" else 2].upper()
        scen = next((s for s in SCENARIOS if sym.startswith(s)), None)
        key = (ex, scen, path)
        with LOCK:
            SEEN[key] = SEEN.get(key, 0) + 1
            first = SEEN[key] == 1
        if scen == "RL" and first:
            return self.send(429, self.rate_body(ex), {"Retry-After": "1"})
        if scen == "ERR":
            return self.send(503, "<html><body>503 Service Temporarily Unavailable</body></html>", ctype="text/html")
        if scen == "FLAKY" and first:
            return self.send(502, "<html><body>502 Bad Gateway</body></html>", ctype="text/html")
        if scen == "SLOW" and first and ex in ("okx", "bybit", "kraken"):
            return self.send(200, self.fixture(ex, "rate-limited.json"))
        if scen == "BODYERR" and ex in ("okx", "bybit", "kraken"):
            return self.send(200, self.fixture(ex, "error.json"))
        if scen == "NOPE":
            status = int(open(os.path.join(ARGS.fixtures, ex, "unknown-symbol.status")).read()) if os.path.exists(
                os.path.join(ARGS.fixtures, ex, "unknown-symbol.status")) else 200
            name = [n for n in os.listdir(os.path.join(ARGS.fixtures, ex)) if n.startswith("unknown-symbol.") and not n.endswith(".status")][0]
            return self.send(status, self.fixture(ex, name), ctype="text/html" if name.endswith("html") else "application/json")
        self.empty = scen == "EMPTY"
        return getattr(self, "ex_" + ex)(path, q)

    def rate_body(self, ex):
        return {"binance": {"code": -1003, "msg": "Too many requests; current limit of IP is 6000 request weight per 1 MINUTE."},
                "okx": {"code": "50011", "msg": "Rate limit reached. Please refer to API documentation and throttle requests accordingly.", "data": []},
                }.get(ex, {"message": "Too many requests"})

    def rows(self, tf, lo, hi):
        return [] if self.empty else series(tf, lo, hi)

    # Binance: startTime/endTime (ms, inclusive), limit <= 1000, ascending.
    def ex_binance(self, path, q):
        if path == "/api/v3/klines":
            tf = TF.get(q["interval"])
            if not tf:
                return self.send(400, {"code": -1120, "msg": "Invalid interval."})
            limit = min(int(q.get("limit", 500)), 1000)
            end = int(q.get("endTime", ARGS.now))
            if "startTime" in q:
                rows = self.rows(tf, int(q["startTime"]), end)[:limit]
            else:
                rows = self.rows(tf, end - limit * tf * 2, end)[-limit:]
            return self.send(200, [[r[0], f8(r[1]), f8(r[2]), f8(r[3]), f8(r[4]), f8(r[5]), r[0] + tf - 1,
                                    f8(r[5] * r[4]), 42, f8(r[5] / 2), f8(r[5] * r[4] / 2), "0"] for r in rows])
        return self.static("binance", path, {"/api/v3/ticker/24hr": "ticker.json", "/api/v3/depth": "book.json",
                                             "/api/v3/trades": "trades.json", "/api/v3/exchangeInfo": "markets.json"})

    def static(self, ex, path, table):
        if path in table:
            return self.send(200, self.fixture(ex, table[path]))
        return self.send(404, {"message": "mock: no route " + path})

    # Coinbase: start/end ISO 8601 (inclusive), at most 300 candles a range,
    # newest first, and like the real one it may add a candle before start.
    def ex_coinbase(self, path, q):
        parts = path.split("/")
        if len(parts) == 4 and parts[3] == "candles":
            gran = int(q.get("granularity", 0))
            if gran not in (60, 300, 900, 3600, 21600, 86400):
                return self.send(400, {"message": "Unsupported granularity"})
            tf = gran * 1000
            lo, hi = iso(q["start"]), iso(q["end"])
            if (hi - lo) // tf + 1 > 300:
                return self.send(400, {"message": "granularity too small for the requested time range. Count of aggregations requested exceeds 300"})
            rows = self.rows(tf, lo - tf, hi)
            return self.send(200, [[r[0] // 1000, r[3], r[2], r[1], r[4], r[5]] for r in reversed(rows)])
        if len(parts) == 4:
            return self.static("coinbase", "/" + parts[3], {"/ticker": "ticker.json", "/book": "book.json", "/trades": "trades.json"})
        if path == "/products":
            return self.send(200, self.fixture("coinbase", "markets.json"))
        return self.send(404, {"message": "NotFound"})

    # Kraken: since (s, exclusive), only the last 720 candles, ascending,
    # the last row being the open candle; result keyed by Kraken's pair id.
    def ex_kraken(self, path, q):
        pair = q.get("pair", "")
        key = {"XBTUSD": "XXBTZUSD", "ETHUSD": "XETHZUSD"}.get(pair, pair)
        if path == "/0/public/OHLC":
            tf = int(q.get("interval", 1)) * 60000
            now = ARGS.now // tf * tf
            rows = self.rows(tf, now - 719 * tf, now)
            since = int(q.get("since", 0)) * 1000
            rows = [r for r in rows if r[0] > since]
            out = [[r[0] // 1000, g8(r[1]), g8(r[2]), g8(r[3]), g8(r[4]), g8((r[2] + r[3] + r[4]) / 3), f8(r[5]), 7] for r in rows]
            last = rows[-2][0] // 1000 if len(rows) > 1 else since // 1000
            return self.send(200, {"error": [], "result": {key: out, "last": last}})
        if path == "/0/public/Trades":
            pages = [json.loads(self.fixture("kraken", "trades-%d.json" % i)) for i in (1, 2, 3)]
            since = q.get("since")
            page = pages[0]
            for prev, nxt in zip(pages, pages[1:]):
                if since == prev["result"]["last"]:
                    page = nxt
            if since == pages[-1]["result"]["last"]:
                page = {"error": [], "result": {"XXBTZUSD": [], "last": since}}
            return self.send(200, page)
        return self.static("kraken", path, {"/0/public/Ticker": "ticker.json", "/0/public/Depth": "book.json",
                                            "/0/public/AssetPairs": "markets.json"})

    # Bitstamp: start/end (s, inclusive), limit <= 1000, ascending, strings.
    def ex_bitstamp(self, path, q):
        parts = path.split("/")
        if path.startswith("/api/v2/ohlc/"):
            step = int(q["step"]) * 1000
            limit = min(int(q.get("limit", 100)), 1000)
            rows = self.rows(step, int(q["start"]) * 1000, int(q.get("end", ARGS.now // 1000)) * 1000)[:limit]
            return self.send(200, {"data": {"pair": parts[4].upper(), "ohlc": [
                {"timestamp": str(r[0] // 1000), "open": g8(r[1]), "high": g8(r[2]), "low": g8(r[3]),
                 "close": g8(r[4]), "volume": f8(r[5])} for r in rows]}})
        if path == "/api/v2/trading-pairs-info/":
            return self.send(200, self.fixture("bitstamp", "markets.json"))
        kind = parts[3] if len(parts) > 3 else ""
        name = {"ticker": "ticker.json", "order_book": "book.json", "transactions": "trades.json"}.get(kind)
        return self.send(200, self.fixture("bitstamp", name)) if name else self.send(404, "Not found", ctype="text/html")

    # OKX: before/after (ms, exclusive), newest first; candles keeps the
    # last 1440 rows (limit 300), history-candles all (limit 100).
    def ex_okx(self, path, q):
        if path in ("/api/v5/market/candles", "/api/v5/market/history-candles"):
            bars = {"1m": "1m", "3m": "3m", "5m": "5m", "15m": "15m", "30m": "30m", "1H": "1h", "2H": "2h",
                    "4H": "4h", "6Hutc": "6h", "12Hutc": "12h", "1Dutc": "1d", "3Dutc": "3d"}
            if q.get("bar") not in bars:
                return self.send(200, {"code": "51000", "msg": "Parameter bar error", "data": []})
            tf = TF[bars[q["bar"]]]
            hist = path.endswith("history-candles")
            limit = min(int(q.get("limit", 100)), 100 if hist else 300)
            lo = int(q.get("before", 0)) + 1
            hi = int(q.get("after", ARGS.now + tf)) - 1
            if not hist:
                lo = max(lo, ARGS.now // tf * tf - 1439 * tf)
            rows = list(reversed(self.rows(tf, lo, hi)))
            rows = rows[-limit:] if "before" in q and "after" not in q else rows[:limit]
            now = ARGS.now
            return self.send(200, {"code": "0", "msg": "", "data": [
                [str(r[0]), g8(r[1]), g8(r[2]), g8(r[3]), g8(r[4]), g8(r[5]), g8(r[5] * r[4]), g8(r[5] * r[4]),
                 "0" if r[0] + tf > now else "1"] for r in rows]})
        return self.static("okx", path, {"/api/v5/market/ticker": "ticker.json", "/api/v5/market/books": "book.json",
                                         "/api/v5/market/trades": "trades.json", "/api/v5/public/instruments": "markets.json"})

    # Bybit: start/end (ms, inclusive), limit <= 1000, newest first.
    def ex_bybit(self, path, q):
        if path == "/v5/market/kline":
            iv = {"1": "1m", "3": "3m", "5": "5m", "15": "15m", "30": "30m", "60": "1h", "120": "2h", "240": "4h",
                  "360": "6h", "720": "12h", "D": "1d"}.get(q.get("interval"))
            if not iv:
                return self.send(200, {"retCode": 10001, "retMsg": "Invalid period!", "result": {}, "time": ARGS.now})
            tf = TF[iv]
            limit = min(int(q.get("limit", 200)), 1000)
            rows = list(reversed(self.rows(tf, int(q.get("start", 0)), int(q.get("end", ARGS.now)))))[:limit]
            return self.send(200, {"retCode": 0, "retMsg": "OK", "result": {"symbol": q["symbol"], "category": "spot", "list": [
                [str(r[0]), g8(r[1]), g8(r[2]), g8(r[3]), g8(r[4]), g8(r[5]), g8(r[5] * r[4])] for r in rows]},
                "retExtInfo": {}, "time": ARGS.now})
        if path == "/v5/market/instruments-info":
            return self.send(200, self.fixture("bybit", "markets-2.json" if q.get("cursor") else "markets-1.json"))
        return self.static("bybit", path, {"/v5/market/tickers": "ticker.json", "/v5/market/orderbook": "book.json",
                                           "/v5/market/recent-trade": "trades.json"})


def g8(x):
    s = "%.8f" % x
    return s.rstrip("0").rstrip(".")


def iso(s):
    from datetime import datetime, timezone
    if s.isdigit():
        return int(s) * 1000
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).replace(tzinfo=timezone.utc).timestamp() * 1000)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--fixtures", required=True)
    p.add_argument("--now", type=int, required=True, help="the exchange's clock, ms")
    p.add_argument("--lifetime", type=float, default=300)
    ARGS = p.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Timer(ARGS.lifetime, lambda: os._exit(0)).start()
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
