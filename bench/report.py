#!/usr/bin/python3
"""The benchmark report: `report.py DIR` reads DIR/http.json (from `make bench`) and/or
DIR/strategies.json (from `firstcome bench strategies`) and writes, beside them:

  http.svg        requests per second per endpoint, the GET /livez ceiling as a reference line
  strategies.svg  throughput per strategy; the ones that oversold or duplicated in a warning colour
  latency.svg     p50 / p95 / p99 per strategy
  tail.svg        p99 / p99.9 per endpoint at more connections, beside /livez's at as many
  room.svg        a waiting room under a burst (DIR/room.json, from `firstcome bench room`):
                  people admitted, waiting and in the pre-queue over time, the rate as a reference
  report.html     one self-contained page: machine, date, the tables (with the CPU per request by
                  process and the scale section when http.json has them), the charts inlined

and prints a short plain-text summary. Standard library only. A missing file, a missing key or a
value that is not a number is reported in the page and the summary; it never stops the report.
(room.json alone may be missing without a note: not every run has a waiting room.)"""
import datetime as dt
import html
import json
import math
import os
import platform
import sys

STRATEGY_KEYS = ["strategy", "requests", "seconds", "throughput", "p50_ms", "p95_ms", "p99_ms",
                 "issued", "quantity", "oversold", "duplicates", "errors", "fairness"]
HTTP_KEYS = ["endpoint", "rps", "p50_ms", "p99_ms", "errors", "ratio"]

FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif"
INK, MUTED, GRID, AXIS = "#1f2933", "#616e7c", "#e4e7eb", "#9aa5b1"
BLUE, GREY, WARN = "#2f6fd0", "#8a96a3", "#d9480f"
LATENCY_COLOURS = {"p50_ms": "#9cc3f0", "p95_ms": "#4d8fdc", "p99_ms": "#1c4f96"}
TAIL_KEYS = ["connections", "rps", "p99_ms", "p999_ms", "livez_p99_ms", "livez_p999_ms", "errors"]
TAIL_BARS = {"p99_ms": ("p99", "#4d8fdc"), "p999_ms": ("p99.9", "#1c4f96"),
             "livez_p99_ms": ("/livez p99", "#c3c9d1"), "livez_p999_ms": ("/livez p99.9", "#8a96a3")}
WIDTH = 1040


def esc(x):
    return html.escape(str(x), quote=True)


# ---- numbers ----

def number(v):
    """A finite float from a JSON value, or None (booleans and non-numeric strings are not numbers)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def _plain(x, decimals):
    s = f"{x:,.{decimals}f}"
    return "0" if s.strip("-0.,") == "" else s


def fmt_count(x):
    if x is None:
        return "—"
    return _plain(x, 0) if x == int(x) else fmt_rate(x)


def fmt_rate(x):
    if x is None:
        return "—"
    a = abs(x)
    return _plain(x, 0 if a >= 100 else 1 if a >= 10 else 2)


def fmt_ms(x):
    if x is None:
        return "—"
    a = abs(x)
    if 0 < a < 1:
        return f"{x:.3g}"  # 0.81, 0.042
    return _plain(x, 0 if a >= 100 else 1 if a >= 10 else 2)


def fmt_us(x):
    """Microseconds of CPU: whole ones, a tenth below ten."""
    if x is None:
        return "—"
    return _plain(x, 0 if abs(x) >= 10 else 1)


def fmt_seconds(x):
    if x is None:
        return "—"
    return _plain(x, 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2)


def fmt_pct(ratio):
    if ratio is None:
        return "—"
    p = ratio * 100
    if 0 < p < 0.1:
        return "<0.1%"
    return f"{p:.0f}%" if p >= 10 else f"{p:.1f}%"


def fmt_fraction(x):
    return "—" if x is None else f"{x:.3f}"


def fmt_correlation(x):
    return "—" if x is None else f"{x:.4f}"


def fmt_axis(x):
    """Compact tick labels: 0, 250, 1.5k, 20k, 1.2M, 0.05."""
    a = abs(x)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


FORMATS = {"requests": fmt_count, "seconds": fmt_seconds, "throughput": fmt_rate, "p50_ms": fmt_ms,
           "p95_ms": fmt_ms, "p99_ms": fmt_ms, "issued": fmt_count, "quantity": fmt_count,
           "oversold": fmt_count, "duplicates": fmt_count, "fairness": fmt_fraction,
           "rps": fmt_rate, "errors": fmt_count, "ratio": fmt_pct,
           "paid_orders_per_second": fmt_rate, "livez_beside": fmt_rate}


def fmt(key, x):
    return FORMATS.get(key, fmt_rate)(x)


# ---- reading the results ----

def load(path, notes):
    """(True, the parsed JSON at path), or (False, None) with a note saying why not."""
    name = os.path.basename(path)
    if not os.path.exists(path):
        notes.append(f"{name}: not found in {os.path.dirname(path) or '.'}")
        return False, None
    try:
        with open(path, encoding="utf-8") as f:
            return True, json.load(f)
    except json.JSONDecodeError as e:
        notes.append(f"{name}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})")
    except (OSError, UnicodeDecodeError, ValueError) as e:
        notes.append(f"{name}: could not be read ({e})")
    return False, None


def rows_of(doc, name, list_keys, notes):
    """The list of result objects in doc (a bare list, or a list under one of list_keys)."""
    rows = doc
    if isinstance(doc, dict):
        rows = next((doc[k] for k in list_keys if isinstance(doc.get(k), list)), None)
        if rows is None:
            notes.append(f"{name}: no list of results under {' or '.join(map(repr, list_keys))}")
            return []
    if not isinstance(rows, list):
        kind = {type(None): "null", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
        notes.append(f"{name}: expected a list of results, found {kind.get(type(doc), type(doc).__name__)}")
        return []
    good = []
    for i, r in enumerate(rows, 1):
        if isinstance(r, dict):
            good.append(r)
        else:
            notes.append(f"{name}: result {i} is not an object ({type(r).__name__}); skipped")
    if not good:
        notes.append(f"{name}: no results")
    return good


def normalise(raw, name, label_key, keys, i, notes):
    """One result: its label as a string, every number key as a float or None (with a note)."""
    row = {"_raw": raw}
    label = raw.get(label_key)
    row[label_key] = str(label) if label not in (None, "") else f"(unnamed #{i})"
    if label in (None, ""):
        notes.append(f"{name}: result {i} has no {label_key}")
    numbers = [k for k in keys if k != label_key]
    row.update(numbers_of(raw, numbers, f"{name}: {row[label_key]}", notes))
    return row


def numbers_of(raw, keys, where, notes):
    """{key: a float or None} for each of keys in the object raw, with a note (starting with
    where) for the keys that are missing and one for those that are not numbers."""
    values = {k: number(raw.get(k)) for k in keys}
    missing = [k for k in keys if k not in raw]
    invalid = [f"{k}={json.dumps(raw[k])[:40]}" for k in keys if k in raw and values[k] is None]
    if missing:
        notes.append(f"{where}: missing {', '.join(missing)}")
    if invalid:
        notes.append(f"{where}: not a number: {', '.join(invalid)}")
    return values


def read_http(path, notes):
    ok, doc = load(path, notes)
    if not ok:
        return None
    name = os.path.basename(path)
    machine = doc.get("machine") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and not isinstance(machine, dict):
        notes.append(f"{name}: no machine description")
        machine = None
    rows = [normalise(r, name, "endpoint", HTTP_KEYS, i, notes)
            for i, r in enumerate(rows_of(doc, name, ["results"], notes), 1)]
    for r in rows:
        r["paid_orders_per_second"] = number(r["_raw"].get("paid_orders_per_second"))
        r["livez_beside"] = number(r["_raw"].get("livez_beside"))
        r["p999_ms"] = number(r["_raw"].get("p999_ms"))
    # The ceiling: the GET /livez row (or else the one whose ratio is 1).
    ceiling = next((r for r in rows if "livez" in r["endpoint"].lower()), None) or \
        next((r for r in rows if r["ratio"] == 1.0), None)
    if rows and ceiling is None:
        notes.append(f"{name}: no GET /livez ceiling row; the % of ceiling is what the file says")
    for r in rows:
        if r["ratio"] is None and ceiling and ceiling["rps"] and r["rps"] is not None:
            r["ratio"] = r["rps"] / ceiling["rps"]
            notes.append(f"{name}: {r['endpoint']}: ratio computed from rps and the ceiling")
    tail = []
    raw_tail = doc.get("tail") if isinstance(doc, dict) else None
    if raw_tail is not None and not isinstance(raw_tail, list):
        notes.append(f"{name}: tail is not a list")
    for i, r in enumerate(raw_tail if isinstance(raw_tail, list) else [], 1):
        if not isinstance(r, dict):
            notes.append(f"{name}: tail row {i} is not an object")
            continue
        t = {"endpoint": str(r.get("endpoint", f"row {i}"))}
        for k in TAIL_KEYS:
            t[k] = number(r.get(k))
            if t[k] is None:
                notes.append(f"{name}: tail row {i} ({t['endpoint']}): {k} missing or not a number")
        tail.append(t)
    return {"machine": machine, "rows": rows, "ceiling": ceiling, "tail": tail,
            "cpu": read_cpu(doc.get("cpu") if isinstance(doc, dict) else None, f"{name}: cpu", notes),
            "scale": read_scale(doc.get("scale") if isinstance(doc, dict) else None, name, notes),
            "mtime": os.path.getmtime(path)}


# The processes of `make bench`'s CPU per request, in the order the tables show them.
CPU_COMPONENTS = ["nginx", "web", "redis", "mysql", "devbroker", "coupon", "order", "shipment", "notify",
                  "relay", "other_workers", "total", "wrk"]
CPU_HEADS = {"devbroker": "broker", "other_workers": "other workers", "total": "stack total",
             "wrk": "wrk (client)"}
SCALE_KEYS = ["rps", "p50_ms", "p99_ms", "errors", "livez_rps", "ratio"]
CHECK_KEYS = ["answered", "client_left", "issued", "redis_claimed", "over_quantity"]


def cpu_row(raw, where, notes):
    """{component: µs per request or None} from one object of http.json's cpu, or None (noted)."""
    if not isinstance(raw, dict):
        notes.append(f"{where}: not an object")
        return None
    row = {k: number(v) for k, v in raw.items()}
    bad = [f"{k}={json.dumps(v)[:40]}" for k, v in raw.items() if row[k] is None]
    if bad:
        notes.append(f"{where}: not a number: {', '.join(bad)}")
    return row


def read_cpu(raw, where, notes):
    """[(endpoint, {component: µs})] from http.json's cpu, or [] when it has none."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        notes.append(f"{where} is not an object")
        return []
    rows = [(str(k), cpu_row(v, f"{where}: {k}", notes)) for k, v in raw.items()]
    return [(k, r) for k, r in rows if r is not None]


def cpu_columns(rows):
    """The components any row has, known ones first in their order, then the others."""
    keys = [k for _, r in rows for k in r]
    return [c for c in CPU_COMPONENTS if c in keys] + [k for k in dict.fromkeys(keys) if k not in CPU_COMPONENTS]


def read_scale(raw, name, notes):
    """http.json's scale section: {"cpus", "rows", "checks"}, or None when it has none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        notes.append(f"{name}: scale is not an object")
        return None
    rows = []
    for i, r in enumerate(raw.get("results") if isinstance(raw.get("results"), list) else [], 1):
        if not isinstance(r, dict):
            notes.append(f"{name}: scale row {i} is not an object")
            continue
        label = f"{r.get('layout', f'row {i}')}: {r.get('endpoint', '?')}"
        row = {"layout": str(r.get("layout", f"row {i}")), "endpoint": str(r.get("endpoint", "?"))}
        row.update(numbers_of(r, SCALE_KEYS, f"{name}: scale: {label}", notes))
        row["cpu"] = cpu_row(r["cpu"], f"{name}: scale: {label}: cpu", notes) if r.get("cpu") is not None else None
        rows.append(row)
    if not rows:
        notes.append(f"{name}: scale has no results")
    checks = []
    raw_checks = raw.get("checks")
    for layout, c in (raw_checks.items() if isinstance(raw_checks, dict) else []):
        if not isinstance(c, dict):
            notes.append(f"{name}: scale: check of {layout} is not an object")
            continue
        check = {"layout": str(layout), "ok": c.get("ok") is True}
        check.update(numbers_of(c, CHECK_KEYS, f"{name}: scale: check of {layout}", notes))
        checks.append(check)
    return {"cpus": number(raw.get("cpus")), "rows": rows, "checks": checks}


def read_strategies(path, notes):
    ok, doc = load(path, notes)
    if not ok:
        return None
    name = os.path.basename(path)
    rows = [normalise(r, name, "strategy", STRATEGY_KEYS, i, notes)
            for i, r in enumerate(rows_of(doc, name, ["strategies", "results"], notes), 1)]
    extra = []
    for r in rows:
        for k in r["_raw"]:
            if k not in STRATEGY_KEYS and k not in extra:
                extra.append(k)
        if r["oversold"] is None and r["issued"] is not None and r["quantity"] is not None:
            r["oversold"] = max(0.0, r["issued"] - r["quantity"])
            notes.append(f"{name}: {r['strategy']}: oversold computed as issued - quantity")
    machine = doc.get("machine") if isinstance(doc, dict) and isinstance(doc.get("machine"), dict) else None
    return {"rows": rows, "extra": extra, "machine": machine, "mtime": os.path.getmtime(path)}


ROOM_NUMBERS = ["people", "prequeue_people", "rate", "admitted_twice"]
JOIN_KEYS = ["people_per_second", "p50_ms", "p99_ms", "errors", "non2xx"]
LIVEZ_KEYS = ["rps", "p50_ms", "p99_ms", "errors", "non2xx"]
ORDER_KEYS = ["correlation", "max_displacement"]
# The parts of room.json the table shows: (where, their number keys, whether only a pre-queue makes it).
ROOM_PARTS = [(("joins", "prequeue"), JOIN_KEYS, True), (("joins", "at_start"), JOIN_KEYS, False),
              (("livez", "before"), LIVEZ_KEYS, False), (("livez", "prequeue"), LIVEZ_KEYS, True),
              (("livez", "at_start"), LIVEZ_KEYS, False),
              (("places",), ["without_place", "same_ticket_twice"], False),
              (("order", "prequeue"), ORDER_KEYS, True), (("order", "at_start"), ORDER_KEYS, False),
              (("admissions",), ["mean", "min", "max", "within_5pct"], False)]


def dig(doc, path):
    """The value at path (a tuple of keys) in nested objects, or None."""
    for k in path:
        doc = doc.get(k) if isinstance(doc, dict) else None
    return doc


def read_room(path, notes):
    """room.json from `firstcome bench room`, or None. Its absence is normal (no note); a file
    that is there but broken is noted like the others, and what can be read of it is kept."""
    if not os.path.exists(path):
        return None
    ok, doc = load(path, notes)
    if not ok:
        return None
    name = os.path.basename(path)
    if not isinstance(doc, dict):
        notes.append(f"{name}: expected an object")
        return None
    room = {"_raw": doc, "mtime": os.path.getmtime(path)}
    room.update(numbers_of(doc, ROOM_NUMBERS, name, notes))
    for where, keys, prequeue in ROOM_PARTS:
        part, label = dig(doc, where), ".".join(where)
        if isinstance(part, dict):
            numbers_of(part, keys, f"{name}: {label}", notes)
        elif part is not None:
            notes.append(f"{name}: {label} is not an object")
        elif not (prequeue and room["prequeue_people"] == 0 or written_null(doc, where)):
            notes.append(f"{name}: no {label}")
    flag = dig(doc, ("places", "prequeue_holds_first_tickets"))
    if isinstance(doc.get("places"), dict) and not isinstance(flag, bool):
        notes.append(f"{name}: places: prequeue_holds_first_tickets is "
                     + ("missing" if flag is None else f"not true or false ({json.dumps(flag)[:40]})"))
    room["series"] = read_series(doc.get("series"), name, notes)
    return room


def written_null(doc, where):
    """Whether room.json says null for an order: the tool's way of saying that the group was too
    small to measure (fewer than ten people)."""
    parent = dig(doc, where[:-1])
    return where[0] == "order" and isinstance(parent, dict) and where[-1] in parent and parent[where[-1]] is None


def read_series(series, name, notes):
    """The samples [seconds, admitted, waiting, in the pre-queue] that are four numbers, in time
    order; a note for those that are not and for a series with none."""
    if not isinstance(series, list):
        notes.append(f"{name}: no series of samples" if series is None else f"{name}: series is not a list")
        return []
    good = []
    for s in series:
        values = [number(v) for v in s] if isinstance(s, list) and len(s) == 4 else [None]
        if None not in values:
            good.append(values)
    if len(good) < len(series):
        notes.append(f"{name}: series: {len(series) - len(good)} of {len(series)} samples are not four "
                     "numbers; left out")
    if not good:
        notes.append(f"{name}: series: no samples to draw")
    return sorted(good, key=lambda s: s[0])


def room_value(room, *path):
    """A value deep in room.json, or None."""
    return dig(room["_raw"], path)


def broke_rules(r):
    """The marks for a strategy that issued beyond its stock or gave a user two: ['oversold 12', ...]."""
    marks = []
    for k in ("oversold", "duplicates"):
        if r.get(k) is not None and r[k] > 0:
            marks.append(f"{k} {fmt_count(r[k])}")
    return marks


# ---- SVG ----

def text_width(s, size):
    """An estimate of the rendered width of s in a sans-serif font of the given size."""
    w = 0.0
    for ch in str(s):
        if ch in "il.,:;|'!()[]1 ":
            w += 0.33
        elif ch in "mwMW%@":
            w += 0.88
        elif ch.isupper():
            w += 0.68
        else:
            w += 0.56
    return w * size


def clip(s, size, max_width):
    s = str(s)
    if text_width(s, size) <= max_width:
        return s
    while s and text_width(s + "…", size) > max_width:
        s = s[:-1]
    return s + "…"


def attrs(**kw):
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in kw.items() if v is not None)


def text(x, y, s, size=12, fill=INK, **kw):
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}"{attrs(**kw)}>{esc(s)}</text>'


class Linear:
    def __init__(self, vmax):
        vmax = vmax if vmax and vmax > 0 else 1.0
        raw = vmax / 5
        mag = 10 ** math.floor(math.log10(raw))
        step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw - 1e-12)
        self.top = math.ceil(vmax / step - 1e-9) * step
        self.ticks = [i * step for i in range(int(round(self.top / step)) + 1)]
        self.log = False

    def __call__(self, v):
        return 0.0 if v is None or v <= 0 else min(1.0, v / self.top)


class Log:
    def __init__(self, vmin, vmax):
        self.lo = 10 ** math.floor(math.log10(vmin))
        if self.lo >= vmin:
            self.lo /= 10
        self.hi = 10 ** math.ceil(math.log10(vmax))
        if self.hi <= self.lo:
            self.hi = self.lo * 10
        self.ticks = [10 ** e for e in range(round(math.log10(self.lo)), round(math.log10(self.hi)) + 1)]
        self.log = True

    def __call__(self, v):
        if v is None or v <= self.lo:
            return 0.0
        return min(1.0, math.log10(v / self.lo) / math.log10(self.hi / self.lo))


def scale_for(values, log_if_spread=None):
    vals = [v for v in values if v is not None and v > 0]
    if not vals:
        return Linear(1)
    if log_if_spread and max(vals) / min(vals) >= log_if_spread:
        return Log(min(vals), max(vals))
    return Linear(max(vals))


class Chart:
    """A horizontal bar chart on a fixed-width canvas: a title, labels on the left, value labels on
    the right, a value axis with grid lines at the bottom."""

    def __init__(self, title, subtitle, labels, top_extra=0, font=13):
        self.title, self.subtitle = title, subtitle
        self.left = min(300, max(110, max((text_width(s, font) for s in labels), default=0) + 18))
        self.top = 58 + top_extra
        self.plot = WIDTH - self.left - 24
        self.parts = []
        self.font = font

    def fit(self, items):
        """Narrows the plot so that each value label, written after its bar, stays on the canvas.
        items: (fraction of the axis, width of the label after the bar). Returns the plot width."""
        room = WIDTH - 14 - self.left
        plot = room - 10
        for frac, w in items:
            if frac > 0:
                plot = min(plot, (room - 8 - w) / frac)
        self.plot = max(plot, 0.45 * room)
        return self.plot

    def x(self, frac):
        return self.left + frac * self.plot

    def label(self, y, s, fill=INK, weight=None):
        shown = clip(s, self.font, self.left - 14)
        t = text(self.left - 10, y, shown, self.font, fill, text_anchor="end", dominant_baseline="central",
                 font_weight=weight)
        if shown != s:
            t = f"<g><title>{esc(s)}</title>{t}</g>"
        self.parts.append(t)

    def svg(self, bottom, scale, axis_title, aria):
        h = bottom + 44
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h:.0f}" '
               f'viewBox="0 0 {WIDTH} {h:.0f}" font-family="{esc(FONT)}" role="img" aria-label="{esc(aria)}">',
               f'<rect x="0" y="0" width="{WIDTH}" height="{h:.0f}" fill="#ffffff"/>',
               text(16, 26, self.title, 16, INK, font_weight="600"),
               text(16, 45, self.subtitle, 12, MUTED)]
        for t in scale.ticks:  # the grid under the bars
            x = self.x(scale(t)) if not (scale.log and t <= scale.lo) else self.left
            out.append(f'<line x1="{x:.1f}" y1="{self.top - 6:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
                       f'stroke="{GRID}" stroke-width="1"/>')
            out.append(text(x, bottom + 16, fmt_axis(t), 11, MUTED, text_anchor="middle"))
        out.append(f'<line x1="{self.left}" y1="{self.top - 6:.1f}" x2="{self.left}" y2="{bottom:.1f}" '
                   f'stroke="{AXIS}" stroke-width="1"/>')
        out.append(text(self.left + self.plot / 2, bottom + 34, axis_title + (" (log scale)" if scale.log else ""),
                        12, MUTED, text_anchor="middle"))
        return "\n".join(out + self.parts + ["</svg>"]) + "\n"


def bar(chart, y, h, frac, fill, cls, name, title=None):
    w = max(frac * chart.plot, 2.0) if frac > 0 else 0.0
    tip = f"<title>{esc(title)}</title>" if title else ""
    chart.parts.append(f'<rect class="{esc(cls)}" data-name="{esc(name)}" x="{chart.left}" y="{y:.1f}" '
                       f'width="{w:.1f}" height="{h}" rx="2" fill="{fill}">{tip}</rect>')
    return chart.left + w


HALO = {"stroke": "#ffffff", "stroke_width": "3", "paint_order": "stroke", "stroke_linejoin": "round"}


def nice_step(raw):
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw - 1e-12)


ROOM_LINES = [(1, "admitted so far", BLUE), (2, "waiting with a place", "#e8590c"),
              (3, "in the pre-queue", GREY)]
RATE_STYLE = f'stroke="{INK}" stroke-width="1.25" stroke-dasharray="6 4" opacity="0.75"'


class Frame:
    """The plot area of a chart over time: seconds across from x0 to x1, people up on scale ys."""

    def __init__(self, x0, x1, ys, left, right, top, bottom):
        self.x0, self.x1, self.ys = x0, max(x1, x0 + 1), ys
        self.left, self.right, self.top, self.bottom = left, right, top, bottom

    def x(self, t):
        return self.left + (t - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def y(self, v):
        return self.bottom - self.ys(v) * (self.bottom - self.top)

    def axes(self, axis_title):
        """Grid lines and labels for people, ticks and a title for seconds."""
        out = []
        for v in self.ys.ticks:
            out.append(f'<line x1="{self.left}" y1="{self.y(v):.1f}" x2="{self.right}" y2="{self.y(v):.1f}" '
                       f'stroke="{GRID}" stroke-width="1"/>')
            out.append(text(self.left - 8, self.y(v), fmt_axis(v), 11, MUTED, text_anchor="end",
                            dominant_baseline="central"))
        step = nice_step((self.x1 - self.x0) / 10)
        first = math.ceil(self.x0 / step - 1e-9)
        for i in range(first, math.floor(self.x1 / step + 1e-9) + 1):
            out.append(text(self.x(i * step), self.bottom + 16, fmt_axis(i * step), 11, MUTED,
                            text_anchor="middle"))
        out.append(f'<line x1="{self.left}" y1="{self.bottom}" x2="{self.right}" y2="{self.bottom}" '
                   f'stroke="{AXIS}" stroke-width="1"/>')
        out.append(text((self.left + self.right) / 2, self.bottom + 34, axis_title, 12, MUTED,
                        text_anchor="middle"))
        return out


def room_svg(room):
    """People admitted, waiting and in the pre-queue over time, the start as a vertical line and
    the configured rate as a dashed line from it (clipped at everyone admitted)."""
    s = room["series"]
    people, rate = room["people"] or 0, room["rate"] or 0
    ys = Linear(max([people] + [max(p[1:]) for p in s]))
    left = max(56, 24 + max(text_width(fmt_axis(v), 11) for v in ys.ticks))
    f = Frame(s[0][0], s[-1][0], ys, left, WIDTH - 28, 96, 336)
    h = f.bottom + 48
    title = (f"Waiting room: {fmt_count(people)} people, {fmt_count(rate)} admitted a second"
             if people and rate else "Waiting room")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h}" viewBox="0 0 {WIDTH} {h}" '
           f'font-family="{esc(FONT)}" role="img" aria-label="{esc(title)}">',
           f'<rect x="0" y="0" width="{WIDTH}" height="{h}" fill="#ffffff"/>',
           text(16, 26, title, 16, INK, font_weight="600"),
           text(16, 45, "people over time, sampled every 100 ms", 12, MUTED)]
    out += f.axes("seconds from the room's opening")
    if f.x0 <= 0 <= f.x1:
        out.append(f'<line class="start" x1="{f.x(0):.1f}" y1="{f.top - 14}" x2="{f.x(0):.1f}" y2="{f.bottom}" '
                   f'stroke="{INK}" stroke-width="1" stroke-dasharray="2 3"/>')
        out.append(text(f.x(0) + 5, f.top - 5, "start", 11, INK))
    for i, name, colour in ROOM_LINES:
        pts = " ".join(f"{f.x(p[0]):.1f},{f.y(p[i]):.1f}" for p in s)
        out.append(f'<polyline class="series" data-name="{esc(name)}" points="{pts}" fill="none" '
                   f'stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>')
    out += rate_line(f, people, rate)
    out += room_legend(f.left, 68, rate)
    return "\n".join(out + ["</svg>"]) + "\n"


def rate_line(f, people, rate):
    """The admissions the rate promises: rate x seconds from the start, up to everyone; drawn over
    the series so that it shows where the admitted line keeps to it."""
    if not (rate > 0 and people > 0):
        return []
    t0, t1 = max(0.0, f.x0), min(f.x1, people / rate)
    if t1 <= t0:
        return []
    return [f'<line class="rate" x1="{f.x(t0):.1f}" y1="{f.y(t0 * rate):.1f}" x2="{f.x(t1):.1f}" '
            f'y2="{f.y(t1 * rate):.1f}" {RATE_STYLE}><title>{esc(fmt_count(rate))} a second from the start'
            f'</title></line>']


def room_legend(x, y, rate):
    """One line: a swatch and a name for each series and for the rate."""
    out = []
    items = [(name, f'stroke="{colour}" stroke-width="2"') for _, name, colour in ROOM_LINES]
    items.append((f"the rate set ({fmt_count(rate)} a second)" if rate else "the rate set", RATE_STYLE))
    for name, style in items:
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}" {style}/>')
        out.append(text(x + 28, y, name, 12, INK, dominant_baseline="central"))
        x += 28 + text_width(name, 12) + 24
    return out


ROOM_BURSTS = [(("joins", "prequeue"), "joins before the start", "people_per_second", "people/s"),
               (("joins", "at_start"), "joins at the start", "people_per_second", "people/s"),
               (("livez", "before"), "/livez before", "rps", "req/s"),
               (("livez", "prequeue"), "/livez beside the joins before the start", "rps", "req/s"),
               (("livez", "at_start"), "/livez beside the joins at the start", "rps", "req/s")]


def room_table(room):
    """The bursts and /livez beside them (pace, p50, p99, errors), then what the run checked."""
    out = ['<div class="tablewrap"><table id="room-table"><thead><tr>'
           + "".join(f"<th>{esc(h)}</th>" for h in ("", "pace", "p50 ms", "p99 ms", "errors / non-2xx"))
           + "</tr></thead><tbody>"]
    for where, label, pace, unit in ROOM_BURSTS:
        part = room_value(room, *where)
        if not isinstance(part, dict):
            continue
        n = {k: number(part.get(k)) for k in (pace, "p50_ms", "p99_ms", "errors", "non2xx")}
        failed = bool(n["errors"] or n["non2xx"])
        out.append("<tr>" + cell(label) + cell(f"{fmt_rate(n[pace])} {unit}" if n[pace] is not None else "—")
                   + cell(fmt_ms(n["p50_ms"])) + cell(fmt_ms(n["p99_ms"]))
                   + cell(f"{fmt_count(n['errors'])} / {fmt_count(n['non2xx'])}", "bad" if failed else None)
                   + "</tr>")
    out.append("</tbody></table></div>")
    out.append('<div class="tablewrap"><table id="room-checks"><tbody>'
               + "".join(f"<tr>{cell(k)}{cell(val, cls)}</tr>" for k, val, cls in room_checks(room))
               + "</tbody></table></div>")
    return "".join(out)


def zero_check(label, x):
    """A count that should be zero: (label, the count, its cell class: ok at 0, bad above)."""
    return label, fmt_count(x), None if x is None else "bad" if x > 0 else "ok"


def room_checks(room):
    """(what, value, cell class) for the places, the order and the admissions of a room run."""
    v = lambda *p: number(room_value(room, *p))
    holds = room_value(room, "places", "prequeue_holds_first_tickets")
    checks = [zero_check("without a place", v("places", "without_place")),
              zero_check("tickets held twice", v("places", "same_ticket_twice")),
              ("the pre-queue holds the first tickets", {True: "yes", False: "no"}.get(holds, "—"),
               {True: "ok", False: "bad"}.get(holds))]
    if isinstance(room_value(room, "order", "prequeue"), dict):
        checks.append(("pre-queue: arrival vs place correlation (shuffled at the start: near 0)",
                       fmt_correlation(v("order", "prequeue", "correlation")), None))
        if v("order", "prequeue", "first_tenth_kept") is not None:
            checks.append(("pre-queue: the first tenth to arrive holding a place in the first tenth"
                           " (10% by chance)", fmt_pct(v("order", "prequeue", "first_tenth_kept")), None))
    checks += [("after the start: arrival vs place correlation",
                fmt_correlation(v("order", "at_start", "correlation")), None),
               ("after the start: largest displacement (places from the arrival order)",
                fmt_count(v("order", "at_start", "max_displacement")), None)]
    if v("order", "at_start", "max_displacement_in_thread") is not None:
        flight = v("order", "at_start", "in_flight_per_thread")
        checks.append(("after the start: furthest from a wrk thread's sending order"
                       + (f" (it keeps {fmt_count(flight)} in flight)" if flight is not None else ""),
                       fmt_count(v("order", "at_start", "max_displacement_in_thread")), None))
    checks += [("admissions a second: mean / min / max",
                " / ".join(fmt_rate(v("admissions", k)) for k in ("mean", "min", "max")), None),
               ("one-second windows within 5% of the rate", fmt_pct(v("admissions", "within_5pct")), None),
               zero_check("admitted twice", v("admitted_twice"))]
    return checks


def strategies_svg(rows):
    """Throughput per strategy, the rule breakers in the warning colour and marked."""
    pitch, h = 36, 22
    chart = Chart("Throughput per strategy", "claims per second, higher is better;  "
                  "orange: oversold or duplicated, so the number is not a valid result",
                  [r["strategy"] for r in rows])
    scale = scale_for([r["throughput"] for r in rows])
    chart.fit([(scale(r["throughput"]), text_width(f"{fmt_rate(r['throughput'])} req/s", 12)
                + (10 + text_width(" · ".join(broke_rules(r)), 12.5) if broke_rules(r) else 0)) for r in rows])
    y = chart.top
    for r in rows:
        marks = broke_rules(r)
        mid = y + h / 2
        chart.label(mid, r["strategy"], WARN if marks else INK, "600" if marks else None)
        if r["throughput"] is None:
            chart.parts.append(text(chart.left + 8, mid, "no throughput in the results", 12, MUTED,
                                    dominant_baseline="central", font_style="italic"))
        else:
            end = bar(chart, y, h, scale(r["throughput"]), WARN if marks else BLUE,
                      "bar warn" if marks else "bar", r["strategy"],
                      f"{r['strategy']}: {fmt_rate(r['throughput'])} requests/s")
            spans = f'<tspan>{esc(fmt_rate(r["throughput"]))} req/s</tspan>'
            if marks:
                spans += f'<tspan class="mark" dx="10" fill="{WARN}" font-weight="700">{esc(" · ".join(marks))}</tspan>'
            chart.parts.append(f'<text x="{end + 6:.1f}" y="{mid:.1f}" font-size="12" fill="{INK}" '
                               f'dominant-baseline="central"{attrs(**HALO)}>{spans}</text>')
        y += pitch
    return chart.svg(y - (pitch - h), scale, "requests per second", "throughput per strategy")


def latency_bars(title, subtitle, rows, labels, bars, aria, warn=lambda r: False):
    """Grouped bars of latencies, one group per row (labels[i] names rows[i]), one bar per key of
    bars {key: (name, colour)}; log scale when they span two decades."""
    keys = list(bars)
    h, gap, group_gap = 12, 3, 16
    chart = Chart(title, subtitle, labels, top_extra=26)
    scale = scale_for([r[k] for r in rows for k in keys], log_if_spread=100)
    chart.fit([(scale(r[k]), text_width(f"{bars[k][0]} {fmt_ms(r[k])} ms", 11)) for r in rows for k in keys])
    lx = chart.left  # legend
    for k in keys:
        chart.parts.append(f'<rect x="{lx}" y="{chart.top - 28}" width="12" height="12" rx="2" '
                           f'fill="{bars[k][1]}"/>')
        chart.parts.append(text(lx + 17, chart.top - 22, bars[k][0], 12, INK, dominant_baseline="central"))
        lx += text_width(bars[k][0], 12) + 34
    y = chart.top
    for r, label in zip(rows, labels):
        marks = warn(r)
        group = len(keys) * h + (len(keys) - 1) * gap
        chart.label(y + group / 2, label, WARN if marks else INK, "600" if marks else None)
        for k in keys:
            mid = y + h / 2
            name = bars[k][0]
            if r[k] is None:
                chart.parts.append(text(chart.left + 6, mid, f"{name} missing", 11, MUTED,
                                        dominant_baseline="central", font_style="italic"))
            else:
                end = bar(chart, y, h, scale(r[k]), bars[k][1], "bar " + k[:-3].replace("_", "-"), label,
                          f"{label} {name}: {fmt_ms(r[k])} ms")
                chart.parts.append(text(end + 5, mid, f"{name} {fmt_ms(r[k])} ms", 11, INK,
                                        dominant_baseline="central", **HALO))
            y += h + gap
        y += group_gap - gap
    return chart.svg(y - group_gap, scale, "milliseconds", aria)


def latency_svg(rows):
    """p50, p95 and p99 per strategy, three bars each."""
    return latency_bars("Latency per strategy", "milliseconds per claim, lower is better", rows,
                        [r["strategy"] for r in rows], {k: (k[:3], c) for k, c in LATENCY_COLOURS.items()},
                        "latency per strategy", broke_rules)


def tail_label(r):
    return f"{r['endpoint']} · {fmt_count(r['connections'])} conns"


def tail_svg(tail):
    """p99 and p99.9 per endpoint at each connection count, with /livez's at as many beside."""
    return latency_bars("The tail at more connections", "milliseconds per request, lower is better; "
                        "each endpoint beside /livez at the same connections", tail,
                        [tail_label(r) for r in tail], TAIL_BARS, "p99 and p99.9 per endpoint")


def http_svg(http):
    """Requests per second per endpoint, the /livez ceiling as a dashed reference line."""
    rows, ceiling = http["rows"], http["ceiling"]
    pitch, h = 36, 22
    beside = any(r["livez_beside"] is not None for r in rows)
    chart = Chart("HTTP requests per second", "each endpoint against the GET /livez ceiling measured in the "
                  "same run; the percentage is its share of " + ("the /livez turns beside it, or else of "
                  "the ceiling" if beside else "the ceiling"), [r["endpoint"] for r in rows],
                  top_extra=24)
    scale = scale_for([r["rps"] for r in rows] + [ceiling["rps"] if ceiling else None])

    def labels(r, plot):
        """(text after the bar, the percentage inside the bar or None) for a bar on a plot this wide."""
        after = f"{fmt_rate(r['rps'])} req/s"
        if r["paid_orders_per_second"] is not None:
            after += f" = {fmt_rate(r['paid_orders_per_second'])} paid orders/s"
        pct = fmt_pct(r["ratio"])
        if r["ratio"] is not None and scale(r["rps"]) * plot >= text_width(pct, 12) + 14:
            return after, pct
        return (after + f" · {pct} of ceiling" if r["ratio"] is not None else after), None

    for _ in range(4):  # a narrower plot may move a percentage out of its bar, which needs more room
        before = chart.plot
        chart.fit([(scale(r["rps"]), text_width(labels(r, chart.plot)[0], 12)) for r in rows])
        if chart.plot == before:
            break
    y = chart.top
    for r in rows:
        mid = y + h / 2
        is_ceiling = r is ceiling
        chart.label(mid, r["endpoint"], INK, "600" if is_ceiling else None)
        if r["rps"] is None:
            chart.parts.append(text(chart.left + 8, mid, "no rps in the results", 12, MUTED,
                                    dominant_baseline="central", font_style="italic"))
        else:
            end = bar(chart, y, h, scale(r["rps"]), GREY if is_ceiling else BLUE,
                      "bar ceiling" if is_ceiling else "bar", r["endpoint"],
                      f"{r['endpoint']}: {fmt_rate(r['rps'])} requests/s")
            label, pct = labels(r, chart.plot)
            if pct:
                chart.parts.append(text(end - 6, mid, pct, 12, "#ffffff", class_="ratio", text_anchor="end",
                                        dominant_baseline="central", font_weight="700"))
            chart.parts.append(text(end + 6, mid, label, 12, INK, class_="value", dominant_baseline="central",
                                    **HALO))
        y += pitch
    bottom = y - (pitch - h)
    if ceiling and ceiling["rps"]:
        x = chart.x(scale(ceiling["rps"]))
        chart.parts.append(f'<line class="ceiling" x1="{x:.1f}" y1="{chart.top - 15}" x2="{x:.1f}" '
                           f'y2="{bottom + 4:.1f}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="5 4"/>')
        chart.parts.append(text(x, chart.top - 20, f"ceiling: GET /livez {fmt_rate(ceiling['rps'])} req/s", 11,
                                INK, text_anchor="end" if x > WIDTH / 2 else "start"))
    return chart.svg(bottom, scale, "requests per second", "HTTP requests per second per endpoint")


# ---- HTML ----

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7fa; color: #1f2933; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI',
       'DejaVu Sans', Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 32px 0 10px; }
.meta { color: #616e7c; margin: 0 0 18px; }
.meta b { color: #1f2933; font-weight: 600; }
.card { background: #fff; border: 1px solid #e4e7eb; border-radius: 8px; padding: 16px 18px; margin: 12px 0; }
.card.chart { padding: 8px; overflow-x: auto; }
.card svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.howto p { margin: 6px 0; }
.notes { background: #fff8e6; border-color: #f0d68a; }
.notes h2 { margin: 0 0 6px; font-size: 16px; }
.notes ul { margin: 0; padding-left: 20px; }
.missing { color: #616e7c; font-style: italic; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 14px; }
th, td { padding: 6px 8px; border-bottom: 1px solid #e4e7eb; text-align: right; white-space: nowrap; }
th { font-weight: 600; color: #616e7c; font-size: 12.5px; background: #fafbfc; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; white-space: normal; }
tbody tr:last-child td { border-bottom: 0; }
tr.ceiling td { background: #f3f5f8; }
tr.broke td:first-child { font-weight: 600; color: #b8400c; }
td.bad { background: #fde6dc; color: #b8400c; font-weight: 700; }
td.ok { color: #2f7d32; }
td.na { color: #9aa5b1; }
.tablewrap { overflow-x: auto; }
code { font-size: 13px; background: #eef1f5; padding: 1px 4px; border-radius: 3px; }
footer { color: #9aa5b1; font-size: 12px; margin-top: 28px; }
"""


def cell(value, cls=None):
    cls = cls or ("na" if value == "—" else None)
    return f"<td{attrs(class_=cls)}>{esc(value)}</td>"


def http_table(http):
    has_paid = any(r["paid_orders_per_second"] is not None for r in http["rows"])
    has_beside = any(r["livez_beside"] is not None for r in http["rows"])
    has_p999 = any(r["p999_ms"] is not None for r in http["rows"])
    head = (["endpoint", "req/s", "p50 ms", "p99 ms"] + (["p99.9 ms"] if has_p999 else []) + ["errors"]
            + (["/livez beside it"] if has_beside else [])
            + ["% of ceiling"] + (["paid orders/s"] if has_paid else []))
    out = ['<div class="tablewrap"><table id="http-table"><thead><tr>'
           + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in http["rows"]:
        cells = [cell(r["endpoint"]), cell(fmt_rate(r["rps"])), cell(fmt_ms(r["p50_ms"])),
                 cell(fmt_ms(r["p99_ms"]))] + ([cell(fmt_ms(r["p999_ms"]))] if has_p999 else []) + [
                 cell(fmt_count(r["errors"]), "bad" if r["errors"] else None)]
        if has_beside:
            cells.append(cell(fmt_rate(r["livez_beside"]) if r["livez_beside"] is not None else ""))
        cells.append(cell(fmt_pct(r["ratio"])))
        if has_paid:
            cells.append(cell(fmt_rate(r["paid_orders_per_second"])))
        out.append(f'<tr{attrs(class_="ceiling" if r is http["ceiling"] else None)}>' + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def tail_table(tail):
    head = ["endpoint", "connections", "req/s", "p99 ms", "p99.9 ms", "/livez p99 ms", "/livez p99.9 ms",
            "errors"]
    out = ['<div class="tablewrap"><table id="tail-table"><thead><tr>'
           + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in tail:
        cells = [cell(r["endpoint"]), cell(fmt_count(r["connections"])), cell(fmt_rate(r["rps"]))]
        cells += [cell(fmt_ms(r[k])) for k in ("p99_ms", "p999_ms", "livez_p99_ms", "livez_p999_ms")]
        cells.append(cell(fmt_count(r["errors"]), "bad" if r["errors"] else None))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def cpu_table(rows, table_id, label_head):
    """CPU µs per request: one row per endpoint (or layout), one column per process."""
    cols = cpu_columns(rows)
    out = [f'<div class="tablewrap"><table id="{esc(table_id)}"><thead><tr><th>{esc(label_head)}</th>'
           + "".join(f"<th>{esc(CPU_HEADS.get(c, c))}</th>" for c in cols) + "</tr></thead><tbody>"]
    for label, r in rows:
        out.append("<tr>" + cell(label) + "".join(cell(fmt_us(r.get(c))) for c in cols) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def scale_table(scale):
    head = ["layout", "endpoint", "req/s", "p50 ms", "p99 ms", "errors", "/livez beside it", "% of /livez"]
    out = ['<div class="tablewrap"><table id="scale-table"><thead><tr>'
           + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in scale["rows"]:
        cells = [cell(r["layout"]), cell(r["endpoint"]), cell(fmt_rate(r["rps"])), cell(fmt_ms(r["p50_ms"])),
                 cell(fmt_ms(r["p99_ms"])), cell(fmt_count(r["errors"]), "bad" if r["errors"] else None),
                 cell(fmt_rate(r["livez_rps"])), cell(fmt_pct(r["ratio"]))]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def check_line(c):
    """One layout's correctness check in words."""
    verdict = "ok" if c["ok"] else "WRONG"
    return (f"{c['layout']}: {fmt_count(c['answered'])} claims answered 201/202 "
            f"({fmt_count(c['client_left'])} left by their client), {fmt_count(c['issued'])} coupons in MySQL, "
            f"{fmt_count(c['redis_claimed'])} in Redis, {fmt_count(c['over_quantity'])} campaigns beyond "
            f"their quantity: {verdict}")


def scale_html(scale):
    cores = fmt_count(scale["cpus"]) if scale["cpus"] is not None else "these"
    body = [f"<p>Claims on one web host with one Redis and one broker, and on two web hosts with a Redis "
            f"Cluster of three masters and three brokers, in alternating turns, each beside its own "
            f"<code>/livez</code>. On {esc(cores)} cores both layouts share the same CPUs, so the second "
            f"cannot be faster: what it shows is that claims stay correct across hosts, masters and "
            f"brokers, and what the routing costs per claim.</p>",
            '<div class="card">' + scale_table(scale) + "</div>"]
    cpu_rows = [(f"{r['layout']}: {r['endpoint']}", r["cpu"]) for r in scale["rows"] if r["cpu"]]
    if cpu_rows:
        body.append("<h3>CPU µs per claim by process</h3>")
        body.append('<div class="card">' + cpu_table(cpu_rows, "scale-cpu-table", "layout: endpoint") + "</div>")
    if scale["checks"]:
        body.append('<ul id="scale-checks">' + "".join(
            f'<li class="{"ok" if c["ok"] else "bad"}">{esc(check_line(c))}</li>' for c in scale["checks"])
                    + "</ul>")
    return body


STRATEGY_HEADS = {"strategy": "strategy", "requests": "requests", "seconds": "seconds",
                  "throughput": "req/s", "p50_ms": "p50 ms", "p95_ms": "p95 ms", "p99_ms": "p99 ms",
                  "issued": "issued", "quantity": "quantity", "oversold": "oversold",
                  "duplicates": "duplicates", "errors": "errors", "fairness": "fairness"}


def strategies_table(st):
    keys = STRATEGY_KEYS + st["extra"]
    out = ['<div class="tablewrap"><table id="strategies-table"><thead><tr>'
           + "".join(f"<th>{esc(STRATEGY_HEADS.get(k, k))}</th>" for k in keys) + "</tr></thead><tbody>"]
    for r in st["rows"]:
        cells = [cell(r["strategy"])]
        for k in keys[1:]:
            if k in STRATEGY_KEYS:
                v = r[k]
                s = fmt(k, v)
                cls = None
                if k in ("oversold", "duplicates") and v is not None:
                    cls = "bad" if v > 0 else "ok" if v == 0 else None
                elif k == "errors" and v:
                    cls = "bad"
                cells.append(cell(s, cls))
            else:
                raw = r["_raw"].get(k)
                cells.append(cell(fmt_rate(number(raw)) if number(raw) is not None else
                                  ("—" if raw is None else json.dumps(raw) if not isinstance(raw, str) else raw)))
        out.append(f'<tr{attrs(class_="broke" if broke_rules(r) else None)}>' + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


HOWTO = """<p><b>HTTP.</b> The ceiling is <code>GET /livez</code>: a FastCGI round trip that touches no
store (no MySQL, Redis or Kafka), so it is the most the HTTP path can serve on this machine. An
endpoint with a "/livez beside it" figure was measured in turns with <code>/livez</code> (a few
seconds of each, several times), and its percentage is of those <code>/livez</code> turns: both saw
the machine at the same moments, whose speed drifts between runs. The ceiling row is every
<code>/livez</code> turn of the run; an endpoint without turns is shown as a share of it. The
percentage shows what the endpoint's own work (its queries, Redis scripts and Kafka messages) costs
on top of the HTTP path. Latencies are per request, as wrk sees them (with turns: p50 their mean,
p99 the worst turn's).</p>
<p><b>Strategies.</b> The lab (<code>firstcome bench strategies</code>) runs K concurrent clients, each
with its own real MySQL and Redis connections, claiming from the same limited stock with each strategy
in turn. <i>Throughput</i> is claims per second, <i>p50/p95/p99</i> the latency of one claim,
<i>oversold</i> the coupons issued beyond the quantity, <i>duplicates</i> the users holding two, and
<i>fairness</i> is 1 when the winners are exactly the first to arrive. <code>naive</code> (read, then
write, no lock) is expected to oversell: it is the baseline that shows why the other strategies exist.
A strategy that oversold or duplicated (in orange) is wrong however fast it is.</p>"""

ROOM_HOWTO = """<p><b>Waiting room.</b> <code>firstcome bench room</code> puts a room in front of a campaign,
sends one burst of people to join it before it opens (the pre-queue, shuffled at the start) and one
when it opens, with <code>/livez</code> beside each burst, and samples the room every 100 ms while it
admits them at the rate set. Every place is read back afterwards: one each, nobody twice, the
pre-queue ahead of those who came later, the others in the order they arrived.</p>"""


def machine_html(http, st):
    m = (http or {}).get("machine") or (st or {}).get("machine")
    if not m:
        return (f'machine: <span class="missing">not recorded</span> (this report was made on '
                f"<b>{os.cpu_count()}</b> CPUs, kernel <b>{esc(platform.release())}</b>)")
    show = lambda v: esc(json.dumps(v) if isinstance(v, (dict, list)) else v)
    parts = [f"<b>{show(m['cpus'])}</b> CPUs" if "cpus" in m else '<span class="missing">CPUs not recorded</span>',
             f"kernel <b>{show(m['kernel'])}</b>" if "kernel" in m else
             '<span class="missing">kernel not recorded</span>']
    parts += [f"{esc(k)} <b>{show(v)}</b>" for k, v in m.items() if k not in ("cpus", "kernel")]
    return "machine: " + ", ".join(parts)


def when(ts):
    return dt.datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def report_html(dirpath, http, st, svgs, notes, now, room=None):
    dates = [f"generated <b>{esc(now.strftime('%Y-%m-%d %H:%M %Z').strip())}</b>"]
    for name, d in (("http.json", http), ("strategies.json", st), ("room.json", room)):
        if d:
            dates.append(f"{name} written <b>{esc(when(d['mtime']))}</b>")
    body = ["<h1>firstcome benchmarks</h1>",
            f'<p class="meta">{machine_html(http, st)}<br>{" · ".join(dates)}</p>']
    if notes:
        body.append('<div class="card notes"><h2>Data notes</h2><ul>'
                    + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul></div>")
    body.append('<div class="card howto"><h2 style="margin-top:0">How to read this</h2>' + HOWTO
                + (ROOM_HOWTO if room else "") + "</div>")
    body.append("<h2>HTTP throughput</h2>")
    if http and http["rows"]:
        body.append('<div class="card">' + http_table(http) + "</div>")
        body.append('<div class="card chart">' + svgs["http.svg"] + "</div>")
    else:
        body.append(f'<p class="missing">No HTTP results: {esc(why(notes, "http.json"))}.</p>')
    if http and http["tail"]:
        body.append("<h2>The tail at more connections</h2>")
        body.append('<div class="card">' + tail_table(http["tail"]) + "</div>")
        body.append('<div class="card chart">' + svgs["tail.svg"] + "</div>")
    if http and http["cpu"]:
        body.append("<h2>CPU per request by process</h2>")
        body.append("<p>Microseconds of CPU each process spent per 2xx response during an endpoint's turns "
                    "(all threads, and children that exited), with what the workers did until they had "
                    "caught up, less what the stack spends at rest in as long. <i>wrk</i> is the load "
                    "generator, on the same CPUs.</p>")
        body.append('<div class="card">' + cpu_table(http["cpu"], "cpu-table", "endpoint") + "</div>")
    if http and http["scale"] and http["scale"]["rows"]:
        body.append("<h2>Scale: one host beside two hosts and a Redis Cluster</h2>")
        body += scale_html(http["scale"])
    body.append("<h2>Concurrency strategies</h2>")
    if st and st["rows"]:
        broken = [r["strategy"] for r in st["rows"] if broke_rules(r)]
        if broken:
            body.append(f'<p>Broke the rules (oversold or duplicated): <b style="color:#b8400c">'
                        f'{esc(", ".join(broken))}</b>.</p>')
        body.append('<div class="card">' + strategies_table(st) + "</div>")
        body.append('<div class="card chart">' + svgs["strategies.svg"] + "</div>")
        body.append('<div class="card chart">' + svgs["latency.svg"] + "</div>")
    else:
        body.append(f'<p class="missing">No strategy results: {esc(why(notes, "strategies.json"))}.</p>')
    if room:
        body.append("<h2>A waiting room under a burst</h2>")
        body.append('<div class="card">' + room_table(room) + "</div>")
        if "room.svg" in svgs:
            body.append('<div class="card chart">' + svgs["room.svg"] + "</div>")
    body.append(f"<footer>bench/report.py {esc(os.path.abspath(dirpath))}</footer>")
    return ("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>firstcome benchmarks</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def why(notes, name):
    return next((n[len(name) + 2:] for n in notes if n.startswith(name + ":")), "no results")


# ---- plain text ----

def text_table(columns, rows):
    """Lines of a plain-text table: columns are (heading, width, value of a row); the first column
    is left-aligned and cut to its width, the others right-aligned. A blank line ends it."""
    def line(values):
        return "".join(f"{v[:w - 1]:<{w}}" if i == 0 else f"{v:>{w}}"
                       for i, (v, (_, w, _)) in enumerate(zip(values, columns)))
    return [line([c[0] for c in columns])] + [line([c[2](r) for c in columns]) for r in rows] + [""]


def summary(dirpath, http, st, written, notes, room=None):
    lines = []
    if http and http["rows"]:
        lines += text_table([("endpoint", 32, lambda r: r["endpoint"]), ("req/s", 10, lambda r: fmt_rate(r["rps"])),
                             ("p50 ms", 9, lambda r: fmt_ms(r["p50_ms"])), ("p99 ms", 9, lambda r: fmt_ms(r["p99_ms"])),
                             ("errors", 8, lambda r: fmt_count(r["errors"])),
                             ("ceiling", 9, lambda r: fmt_pct(r["ratio"]))], http["rows"])
    if http and http["tail"]:
        lines += text_table([("the tail", 32, lambda r: r["endpoint"]),
                             ("conns", 6, lambda r: fmt_count(r["connections"])),
                             ("p99 ms", 9, lambda r: fmt_ms(r["p99_ms"])),
                             ("p99.9 ms", 10, lambda r: fmt_ms(r["p999_ms"])),
                             ("/livez p99", 12, lambda r: fmt_ms(r["livez_p99_ms"])),
                             ("p99.9", 8, lambda r: fmt_ms(r["livez_p999_ms"]))], http["tail"])
    if http and http["cpu"]:
        lines += cpu_text("CPU µs per request", http["cpu"])
    if http and http["scale"] and http["scale"]["rows"]:
        lines += text_table([("scale", 56, scale_name),
                             ("req/s", 10, lambda r: fmt_rate(r["rps"])),
                             ("p50 ms", 9, lambda r: fmt_ms(r["p50_ms"])), ("p99 ms", 9, lambda r: fmt_ms(r["p99_ms"])),
                             ("errors", 8, lambda r: fmt_count(r["errors"])),
                             ("/livez", 9, lambda r: fmt_pct(r["ratio"]))], http["scale"]["rows"])
        rows = [(scale_name(r), r["cpu"]) for r in http["scale"]["rows"] if r["cpu"]]
        lines += cpu_text("scale: CPU µs per claim", rows, 56) if rows else []
        lines += [check_line(c) for c in http["scale"]["checks"]] + ([""] if http["scale"]["checks"] else [])
    if st and st["rows"]:
        lines.append(f"{'strategy':<28}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'fairness':>10}  verdict")
        for r in st["rows"]:
            marks = broke_rules(r)
            verdict = "BROKEN: " + ", ".join(marks) if marks else (
                f"FAILED: {fmt_count(r['errors'])} claims answered with an error" if r["errors"] else
                "ok" if r["oversold"] is not None and r["duplicates"] is not None else "unknown")
            lines.append(f"{r['strategy'][:27]:<28}{fmt_rate(r['throughput']):>10}{fmt_ms(r['p50_ms']):>9}"
                         f"{fmt_ms(r['p99_ms']):>9}{fmt_fraction(r['fairness']):>10}  {verdict}")
        lines.append("")
    if room:
        lines += [room_line(room), ""]
    for n in notes:
        lines.append(f"note: {n}")
    lines.append("wrote: " + ", ".join(os.path.join(dirpath, w) for w in written))
    return "\n".join(lines).replace("—", "-")


def scale_name(r):
    return f"{r['layout']}: {r['endpoint'].removeprefix('POST ')}"


def cpu_text(title, rows, width=32):
    """The CPU table in plain text: one column per process."""
    return text_table([(title, width, lambda r: r[0])]
                      + [(CPU_HEADS.get(c, c).split(" ")[0], max(8, len(CPU_HEADS.get(c, c).split(" ")[0]) + 2),
                          lambda r, c=c: fmt_us(r[1].get(c))) for c in cpu_columns(rows)], rows)


def room_line(room):
    """The room run in one line: the joins' pace, the places, the admissions against the rate."""
    v = lambda *p: number(room_value(room, *p))
    joins = [fmt_rate(v("joins", k, "people_per_second")) for k in ("prequeue", "at_start")
             if isinstance(room_value(room, "joins", k), dict)]
    return (f"waiting room: {fmt_count(room['people'])} people, joins {' and '.join(joins) or '—'} people/s;"
            f" {fmt_count(v('places', 'without_place'))} without a place,"
            f" {fmt_count(v('places', 'same_ticket_twice'))} tickets held twice,"
            f" {fmt_count(v('admitted_twice'))} admitted twice; admitted {fmt_rate(v('admissions', 'mean'))} a second"
            f" (set {fmt_count(room['rate'])}), {fmt_pct(v('admissions', 'within_5pct'))} of seconds within 5%")


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[0].replace("`", ""), file=sys.stderr)
        print("usage: report.py DIR", file=sys.stderr)
        return 2
    dirpath = argv[1]
    if not os.path.isdir(dirpath):
        print(f"report.py: {dirpath}: not a directory", file=sys.stderr)
        return 2
    notes = []
    http = read_http(os.path.join(dirpath, "http.json"), notes)
    st = read_strategies(os.path.join(dirpath, "strategies.json"), notes)
    room = read_room(os.path.join(dirpath, "room.json"), notes)
    svgs = {}
    if room and room["series"]:
        svgs["room.svg"] = room_svg(room)
    if http and http["rows"]:
        svgs["http.svg"] = http_svg(http)
    if http and http["tail"]:
        svgs["tail.svg"] = tail_svg(http["tail"])
    if st and st["rows"]:
        svgs["strategies.svg"] = strategies_svg(st["rows"])
        svgs["latency.svg"] = latency_svg(st["rows"])
    page = report_html(dirpath, http, st, svgs, notes, dt.datetime.now().astimezone(), room)
    written = []
    try:
        for name, content in list(svgs.items()) + [("report.html", page)]:
            with open(os.path.join(dirpath, name), "w", encoding="utf-8") as f:
                f.write(content)
            written.append(name)
    except OSError as e:
        print(f"report.py: could not write {e.filename}: {e.strerror}", file=sys.stderr)
        return 1
    print(summary(dirpath, http, st, written, notes, room))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
