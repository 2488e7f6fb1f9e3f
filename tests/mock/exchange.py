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
  TAPE     trades from the generated tape (below) instead of the fixtures,
           paged by each exchange's own rules
  HEAVY    Binance: the first answer reports X-MBX-USED-WEIGHT-1M 5900 (of
           6000) with a Date two seconds before the minute turns
BODYERR on Binance, Coinbase and Bitstamp, which send their errors with a 4xx,
is the same error object with status 200.
GET /_expected?tf=1h&start=MS&end=MS prints the series as candle records,
and GET /_trades?exchange=X&symbol=S&start=MS[&end=MS][&limit=N] the tape's
trades with start <= ts < end as trade records: the oracles for the tests.

The trade tape: trade k (k >= 0) has ID 5000000 + k and time TAPE0 + (k // 2)
* 13 s, two trades a time stamp, from two days before --now up to --now;
there are none in the quiet hours from 20 h to 17 h before --now.
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
SCENARIOS = ["BODYERR", "FLAKY", "EMPTY", "NOPE", "SLOW", "ERR", "RL", "TAPE", "HEAVY"]
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


TAPE_ID = 5000000
TAPE_STEP = 13000


def tape0():
    return ARGS.now - 2 * 86400000


def quiet(ts):
    return ARGS.now - 20 * 3600000 <= ts < ARGS.now - 17 * 3600000


def tape(k):
    """Trade k of the tape: (ts, id, price, amount, taker side)."""
    return (tape0() + (k // 2) * TAPE_STEP, TAPE_ID + k, 60000 + (k % 50) * 0.5, (1 + k % 7) / 1000,
            "sell" if k % 3 == 0 else "buy")


def tape_last():
    return 2 * ((ARGS.now - tape0()) // TAPE_STEP) + 1


def tape_range(lo=None, hi=None, ids=(None, None)):
    """Trades with lo <= ts < hi and ids[0] <= id < ids[1], oldest first."""
    k0, k1 = 0, tape_last()
    if lo is not None:
        k0 = max(k0, 2 * (-(-(lo - tape0()) // TAPE_STEP)))
    if hi is not None:
        k1 = min(k1, 2 * ((hi - 1 - tape0()) // TAPE_STEP) + 1)
    if ids[0] is not None:
        k0 = max(k0, ids[0] - TAPE_ID)
    if ids[1] is not None:
        k1 = min(k1, ids[1] - 1 - TAPE_ID)
    return [t for t in (tape(k) for k in range(k0, k1 + 1)) if not quiet(t[0])]


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

    def date_time_string(self, timestamp=None):
        return getattr(self, "fake_date", None) or super().date_time_string(timestamp)

    def send(self, status, body, headers=None, ctype="application/json"):
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body, separators=(",", ":"))
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in dict(getattr(self, "extra", {}), **(headers or {})).items():
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
        self.fake_date, self.extra = None, {}
        if u.path == "/_trades":
            rows = tape_range(int(q["start"]), int(q["end"]) if "end" in q else None)[:int(q.get("limit", 10 ** 9))]
            head = '{"type":"trade","exchange":"%s","symbol":"%s","ts":"' % (q["exchange"], q["symbol"])
            return self.send(200, "".join(head + '%s","id":"%d","side":"%s","price":%s,"amount":%s}\n' % (
                isots(t[0]), t[1], t[4], g(t[2]), g(t[3])) for t in rows), ctype="text/plain")
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
        if ex == "binance":
            # What the address has used this minute; HEAVY is near the limit
            # once, two seconds before the minute turns.
            self.extra["X-MBX-USED-WEIGHT-1M"] = "5900" if scen == "HEAVY" and first else "12"
            if scen == "HEAVY" and first:
                self.fake_date = time.strftime("%a, %d %b %Y %H:%M:58 GMT", time.gmtime())
        if scen == "RL" and first:
            return self.send(429, self.rate_body(ex), {"Retry-After": "1"})
        if scen == "ERR":
            return self.send(503, "<html><body>503 Service Temporarily Unavailable</body></html>", ctype="text/html")
        if scen == "FLAKY" and first:
            return self.send(502, "<html><body>502 Bad Gateway</body></html>", ctype="text/html")
        if scen == "SLOW" and first and ex in ("okx", "bybit", "kraken"):
            return self.send(200, self.fixture(ex, "rate-limited.json"))
        if scen == "BODYERR":
            return self.send(200, self.fixture(ex, "error.json"))
        if scen == "NOPE":
            status = int(open(os.path.join(ARGS.fixtures, ex, "unknown-symbol.status")).read()) if os.path.exists(
                os.path.join(ARGS.fixtures, ex, "unknown-symbol.status")) else 200
            name = [n for n in os.listdir(os.path.join(ARGS.fixtures, ex)) if n.startswith("unknown-symbol.") and not n.endswith(".status")][0]
            return self.send(status, self.fixture(ex, name), ctype="text/html" if name.endswith("html") else "application/json")
        self.empty = scen == "EMPTY"
        self.tape = scen == "TAPE"
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
        if path == "/api/v3/aggTrades" and self.tape:
            return self.binance_agg(q)
        return self.static("binance", path, {"/api/v3/ticker/24hr": "ticker.json", "/api/v3/depth": "book.json",
                                             "/api/v3/aggTrades": "trades.json", "/api/v3/exchangeInfo": "markets.json"})

    # aggTrades: fromId (inclusive), or startTime and endTime (ms, inclusive,
    # less than an hour apart), never both; else the newest; ascending.
    def binance_agg(self, q):
        limit = min(int(q.get("limit", 500)), 1000)
        timed = "startTime" in q or "endTime" in q
        if "fromId" in q and timed:
            return self.send(400, {"code": -1128, "msg": "Combination of optional parameters invalid."})
        if "fromId" in q:
            rows = tape_range(ids=(int(q["fromId"]), None))[:limit]
        elif timed:
            lo, hi = int(q.get("startTime", 0)), int(q.get("endTime", ARGS.now))
            if hi - lo >= 3600000:
                return self.send(400, {"code": -1127, "msg": "More than 1 hours between startTime and endTime."})
            rows = tape_range(lo, hi + 1)[:limit]
        else:
            rows = tape_range()[-limit:]
        return self.send(200, [{"a": t[1], "p": f8(t[2]), "q": f8(t[3]), "f": t[1] * 3, "l": t[1] * 3 + 2, "T": t[0],
                                "m": t[4] == "sell", "M": True} for t in rows])

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
        if len(parts) == 4 and parts[3] == "trades" and self.tape:
            return self.coinbase_trades(q)
        if len(parts) == 4:
            return self.static("coinbase", "/" + parts[3], {"/ticker": "ticker.json", "/book": "book.json", "/trades": "trades.json"})
        if path == "/products":
            return self.send(200, self.fixture("coinbase", "markets.json"))
        return self.send(404, {"message": "NotFound"})

    # Trades: newest first, limit <= 1000; after=ID: older than ID, before=ID:
    # the page just newer than ID; CB-BEFORE and CB-AFTER name the newest and
    # the oldest trade of the page. `side` is the maker's.
    def coinbase_trades(self, q):
        limit = min(int(q.get("limit", 1000)), 1000)
        if "after" in q:
            rows = tape_range(ids=(None, int(q["after"])))[-limit:]
        elif "before" in q:
            rows = tape_range(ids=(int(q["before"]) + 1, None))[:limit]
        else:
            rows = tape_range()[-limit:]
        rows.reverse()
        hdr = {"CB-BEFORE": str(rows[0][1]), "CB-AFTER": str(rows[-1][1])} if rows else {}
        return self.send(200, [{"time": isots(t[0]).replace("Z", ".000000Z") if t[0] % 1000 == 0 else isots(t[0]),
                                "trade_id": t[1], "price": f8(t[2]), "size": f8(t[3]),
                                "side": "buy" if t[4] == "sell" else "sell"} for t in rows], hdr)

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
        if path == "/0/public/Trades" and self.tape:
            # since (ns) and `last`, the next since: trades at or after it,
            # ascending, up to count (1000).
            count = min(int(q.get("count", 1000)), 1000)
            since = int(q["since"]) // 1000000 if "since" in q else None
            rows = tape_range(since)[:count] if since is not None else tape_range()[-count:]
            last = str(rows[-1][0] * 1000000) if rows else q.get("since", "0")
            return self.send(200, {"error": [], "result": {key: [
                [g8(t[2]), f8(t[3]), t[0] / 1000, t[4][0], "l", "", t[1]] for t in rows], "last": last}})
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
        if kind == "transactions" and self.tape:
            # time=minute|hour (default)|day: the trades of that last span,
            # newest first, and nothing else.
            span = {"minute": 60000, "hour": 3600000, "day": 86400000}.get(q.get("time", "hour"))
            if not span:
                return self.send(400, {"status": "error", "reason": {"time": ["Must be one of: minute, hour, day."]}})
            rows = tape_range(ARGS.now - span + 1)[::-1]
            return self.send(200, [{"date": str(t[0] // 1000), "tid": str(t[1]), "amount": f8(t[3]),
                                    "type": "0" if t[4] == "buy" else "1", "price": g8(t[2])} for t in rows])
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
        if path == "/api/v5/market/history-trades" and self.tape:
            # type 1 (tradeId, the default) or 2 (ts): after = older than it,
            # before (IDs only) = newer, the newest first; limit <= 100.
            limit = min(int(q.get("limit", 100)), 100)
            typ = q.get("type", "1")
            if typ not in ("1", "2"):
                return self.send(200, {"code": "51000", "msg": "Parameter type error", "data": []})
            if "after" in q and typ == "2":
                rows = tape_range(None, int(q["after"]))
            elif "after" in q:
                rows = tape_range(ids=(int(q["before"]) + 1 if "before" in q else None, int(q["after"])))
            elif "before" in q:
                rows = tape_range(ids=(int(q["before"]) + 1, None))
            else:
                rows = tape_range()
            rows = rows[::-1][:limit]
            return self.send(200, {"code": "0", "msg": "", "data": [
                {"instId": q["instId"], "side": t[4], "sz": g8(t[3]), "px": g8(t[2]), "tradeId": str(t[1]),
                 "ts": str(t[0]), "source": "0"} for t in rows]})
        return self.static("okx", path, {"/api/v5/market/ticker": "ticker.json", "/api/v5/market/books": "book.json",
                                         "/api/v5/market/history-trades": "trades.json",
                                         "/api/v5/public/instruments": "markets.json"})

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
        if path == "/v5/market/recent-trade" and self.tape:
            # No history, no paging: the newest `limit` (spot: 1 to 60).
            limit = int(q.get("limit", 60))
            if not 1 <= limit <= 60:
                return self.send(200, {"retCode": 10001, "retMsg": "params error: limit", "result": {}, "time": ARGS.now})
            rows = tape_range()[::-1][:limit]
            return self.send(200, {"retCode": 0, "retMsg": "OK", "result": {"category": "spot", "list": [
                {"execId": str(t[1]), "symbol": q["symbol"], "price": g8(t[2]), "size": g8(t[3]),
                 "side": t[4].capitalize(), "time": str(t[0]), "isBlockTrade": False, "isRPITrade": False,
                 "seq": str(t[1] * 2)} for t in rows]}, "retExtInfo": {}, "time": ARGS.now})
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
    # scripts/valgrind-check runs the programs 20-50 times slower
    threading.Timer(ARGS.lifetime * (20 if os.environ.get("AB_VALGRIND") else 1), lambda: os._exit(0)).start()
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
