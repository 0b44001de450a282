#!/usr/bin/env python3
"""Writes the reader corpus: each document is written here by hand as a spec (what the document
states: kind, number, issuer, place, date, title, signer, recipients, tasks with their leads),
rendered into the messy text shapes that real extracted documents have, with its annotation in
the contract's JSON next to it. Run from this directory: `python3 make_corpus.py`.

The annotation is the spec itself, never the reader's output."""
import json, os, re, unicodedata

MOTTO = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
PARTY = ["ĐẢNG CỘNG SẢN VIỆT NAM", ""]

BOILER = [
    "Trang chủ | Văn bản pháp luật | Tin tức | Đăng nhập\n"
    "Bản quyền thuộc về Cơ sở dữ liệu văn bản. Mọi hình thức sao chép phải ghi rõ nguồn.\n"
    "Các nội dung được sửa đổi, bổ sung được đánh dấu màu đỏ.\n"
    "Văn bản liên quan | Lược đồ | Tải về | In\n"
    "Tình trạng hiệu lực: Còn hiệu lực\n\n",
    "THƯ VIỆN VĂN BẢN - Tra cứu văn bản\n"
    "Lưu ý: Các nội dung được sửa đổi, hướng dẫn, đính chính được hiển thị khi di chuột.\n"
    "© Bản quyền nội dung. Ghi rõ nguồn khi trích dẫn.\n"
    "Thuộc tính | Nội dung | Tiếng Anh | Văn bản gốc\n\n",
]
PROPS = [
    "Tác giả: user Mẫu: Normal.dotm Sửa lần cuối bởi: Admin Lần sửa: 5 Tạo lúc: 2025-01-06T08:12:00Z Lưu lúc: 2025-01-07T09:30:00Z Số trang: 3 Số từ: 1245 Số ký tự: 7101 ",
    "Author: PC Template: Normal Last modified by: hp Revision: 12 Created: 2024-11-02T01:10:00Z Modified: 2024-11-03T02:00:00Z Pages: 2 Words: 980 Characters: 5587 ",
]
LOST = set("àãòìèùỳõÀÃÒÌÈÙỲÕ")


def nfc(s):
    return unicodedata.normalize("NFC", s)


class T:
    def __init__(self, text, lead=None, coord=(), deadline=None, targets=(), ordinal=None, subs=()):
        self.text, self.lead, self.coord = text, lead, list(coord)
        self.deadline, self.targets, self.ordinal, self.subs = deadline, list(targets), ordinal, list(subs)

    def whole(self):
        t = self.text
        for s in self.subs:
            t += " " + s
        return t.rstrip(".;").rstrip()


class Doc:
    def __init__(self, name, set_, **k):
        self.name, self.set = name, set_
        self.__dict__.update(k)


def date_line(d, split=False, italic=False, lead0=False):
    y, m, dd = d.date
    day = f"{dd:02d}" if lead0 else f"{dd}"
    if split:
        return [f"{d.place}, ngày {day}", f"tháng {m} năm {y}"]
    s = f"{d.place}, ngày {day} tháng {m:02d} năm {y}" if lead0 else f"{d.place}, ngày {day} tháng {m} năm {y}"
    return ["*" + s + "*" if italic else s]


def number_line(d, style):
    n = d.number_printed
    if style == "odd":
        a, b = n.split("/", 1)
        if "-" in a:  # Party N-TYPE/ISSUER
            return f"Số : *{a}* /{b}"
        return f"Số : *{a}* /{b}"
    if style == "space":
        a, b = n.split("/", 1)
        return f"Số: {a} / {b}"
    if style == "nocolon":
        return f"Số {n}"
    return f"Số: {n}"


def render_head(d):
    st = d.head
    motto = PARTY if d.party else MOTTO
    left = list(d.issuer_cells) + (["*"] if d.party else ["-------"])
    right = [motto[0], motto[1] if motto[1] else "", "" if d.party else "---------------"]
    nl = number_line(d, d.num_style) if d.number_printed else ""
    vv = list(d.vv) if getattr(d, "vv", None) else []
    dl = date_line(d, split=d.date_split, italic=d.md, lead0=d.lead0) if d.date else []
    md = d.md
    b = (lambda s: f"**{s}**" if s and md else s)
    out = []
    if st == "plain":
        out += [b(x) for x in d.issuer_cells] + [""]
        if nl:
            out.append(nl)
        out += vv + dl + [""]
    elif st == "layout":
        rows = max(len(left), len(right))
        for i in range(rows):
            l = left[i] if i < len(left) else ""
            r = right[i] if i < len(right) else ""
            out.append(f"{l:<44}{r}".rstrip())
        out.append("")
        lcol = ([nl] if nl else []) + vv
        rcol = dl
        for i in range(max(len(lcol), len(rcol))):
            l = lcol[i] if i < len(lcol) else ""
            r = rcol[i] if i < len(rcol) else ""
            out.append(f"{l:<44}{r}".rstrip())
        out.append("")
    elif st in ("tabs", "pipes"):
        rows = max(len(left), len(right))
        sep = "\t" if st == "tabs" else " | "
        for i in range(rows):
            l = b(left[i]) if i < len(left) else ""
            r = b(right[i]) if i < len(right) else ""
            out.append(("| " + l + sep + r + " |") if st == "pipes" else (l + sep + r))
            if st == "pipes" and i == 0:
                out.append("|---|---|")
        lcol = ([nl] if nl else []) + vv
        rcol = dl
        for i in range(max(len(lcol), len(rcol))):
            l = lcol[i] if i < len(lcol) else ""
            r = rcol[i] if i < len(rcol) else ""
            out.append(("| " + l + sep + r + " |") if st == "pipes" else (l + sep + r))
        out.append("")
    elif st == "interleaved":
        rows = max(len(left), len(right))
        for i in range(rows):
            if i < len(left) and left[i]:
                out.append(b(left[i]))
            if i < len(right) and right[i]:
                out.append(b(right[i]))
        if nl:
            out.append(nl)
        out += dl
        out += vv
        out.append("")
    elif st == "cells":
        out += [b(x) for x in left] + [""] + [b(x) for x in right if x] + [""]
        if nl:
            out.append(nl)
        out += vv + [""] + dl + [""]
    if d.kind_word:
        out.append(b(d.kind_word))
        out += [("*" + t + "*") if md else t for t in d.title_lines]
        out.append("")
    return out


def render_body(d):
    out = []
    for p in d.intro:
        out += [p, ""]
    for sec in d.pre_sections:
        out.append(sec[0])
        for i, it in enumerate(sec[1], 1):
            out.append(f"{i}. {it}")
        out.append("")
    if d.heading:
        out.append(d.heading)
    if d.heading_intro:
        out.append(d.heading_intro)
    for i, t in enumerate(d.tasks, 1):
        o = t.ordinal or str(i)
        mark = f"{o}." if o.isdigit() else f"{o})"
        text = f"{mark} {t.text}"
        if d.pagebreak and i == d.pagebreak:
            words = text.split(" ")
            cut = len(words) * 2 // 3
            out += [" ".join(words[:cut]), "", f"{d.pagebreak_page}", ""]
            out += [" ".join(words[cut:])]
        else:
            out.append(text)
        for s in t.subs:
            out.append(f"- {s}")
        if d.para_gap:
            out.append("")
    if d.tcth:
        out.append(d.tcth_heading)
        for i, (unit, duties) in enumerate(d.tcth, 1):
            out.append(f"{i}. {unit}:")
            for du in duties:
                out.append(f"- {du}")
        out.append("")
    for p in d.closing:
        out += [p, ""]
    return out


def render_foot(d):
    if not d.recipients and not d.sig_name:
        return []
    rec = ["Nơi nhận:"] + [f"- {r}{';' if i + 1 < len(d.recipients) else '.'}" for i, r in enumerate(d.recipients)]
    sig = list(d.sig_lines) + ["(Đã ký)" if d.signed_mark else "", ""] + [d.sig_name_printed]
    out = []
    if d.foot == "layout":
        rows = max(len(rec), len(sig))
        for i in range(rows):
            l = rec[i] if i < len(rec) else ""
            r = sig[i] if i < len(sig) else ""
            out.append(f"{l:<48}{r}".rstrip())
    elif d.foot == "tabs":
        rows = max(len(rec), len(sig))
        for i in range(rows):
            l = rec[i] if i < len(rec) else ""
            r = sig[i] if i < len(sig) else ""
            out.append(f"{l}\t{r}".rstrip())
    else:  # plain: list then signature
        out += rec + [""]
        out += [("**" + s + "**" if d.md and s and s.isupper() else s) for s in d.sig_lines]
        out += ["", "(Đã ký)" if d.signed_mark else "", "", d.sig_name_printed]
    return out


def wrap(lines, width=72):
    out = []
    for l in lines:
        if len(l) <= width or "  " in l or "\t" in l:
            out.append(l)
            continue
        cur = ""
        for w in l.split(" "):
            if cur and len(cur) + 1 + len(w) > width:
                out.append(cur)
                cur = w
            else:
                cur = (cur + " " + w) if cur else w
        out.append(cur)
    return out


def render(d):
    lines = render_head(d) + render_body(d) + render_foot(d)
    if d.wrap:
        lines = wrap(lines)
    text = "\n".join(lines).rstrip() + "\n"
    if d.props is not None:
        text = PROPS[d.props] + text.lstrip("\n")
    if d.boiler is not None:
        text = BOILER[d.boiler] + text
    if d.lost:
        text = "".join(c for c in nfc(text) if c not in LOST)
    return nfc(text)


def annotation(d):
    tasks = []
    for i, t in enumerate(d.tasks, 1):
        tasks.append(dict(ordinal=t.ordinal or str(i), summary=t.whole(), lead=t.lead, coordinating=t.coord,
                          deadline=t.deadline, targets=t.targets))
    if d.tcth and d.tcth_tasks:
        tasks = []
        for i, (unit, duties) in enumerate(d.tcth, 1):
            tasks.append(dict(ordinal=str(i), summary=unit + ": " + " ".join(duties).rstrip(".;"), lead=d.tcth_leads[i - 1],
                              coordinating=d.tcth_coord[i - 1] if d.tcth_coord else [], deadline=d.tcth_deadlines[i - 1] if d.tcth_deadlines else None,
                              targets=[]))
    for i, t in enumerate(d.closing_tasks, 1):
        tasks.append(dict(ordinal=t.ordinal or f"+{i}", summary=t.whole(), lead=t.lead, coordinating=t.coord,
                          deadline=t.deadline, targets=t.targets))
    y, m, dd = d.date if d.date else (None, None, None)
    return dict(
        kind=d.kind,
        number_symbol=d.number,
        issuer=d.issuer,
        place=d.place if d.date else None,
        date=f"{y:04d}-{m:02d}-{dd:02d}" if d.date else None,
        title=d.title,
        signer=dict(name=d.sig_name, title_or_rank=d.sig_title) if d.sig_name else None,
        recipients=d.recipients,
        cited_documents=d.cited,
        tasks=tasks,
        topics=d.topics,
    )


DEFAULTS = dict(party=False, head="layout", num_style="plain", date_split=False, md=False, lead0=False,
                vv=None, kind_word=None, title_lines=[], intro=[], pre_sections=[], heading=None,
                heading_intro=None, tasks=[], pagebreak=None, pagebreak_page=2, para_gap=False, tcth=None,
                tcth_heading="III. TỔ CHỨC THỰC HIỆN", tcth_tasks=False, tcth_leads=None, tcth_coord=None,
                tcth_deadlines=None, closing=[], closing_tasks=[], recipients=[], sig_lines=[], signed_mark=False,
                sig_name=None, sig_title=None, sig_name_printed=None, foot="layout", wrap=False, props=None,
                boiler=None, lost=False, cited=[], topics=["khac"], number_printed=None)

DOCS = []


def doc(name, set_, **k):
    kw = dict(DEFAULTS)
    kw.update(k)
    if kw["sig_name_printed"] is None and kw["sig_name"]:
        kw["sig_name_printed"] = kw["sig_name"]
    if kw["number_printed"] is None:
        kw["number_printed"] = kw.get("number")
    DOCS.append(Doc(name, set_, **kw))


exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "specs_tuning.py"), encoding="utf-8").read())
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "specs_heldout.py"), encoding="utf-8").read())

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    names = set()
    for d in DOCS:
        assert d.name not in names, d.name
        names.add(d.name)
        out = os.path.join(here, d.set)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, d.name + ".txt"), "w", encoding="utf-8") as f:
            f.write(render(d))
        with open(os.path.join(out, d.name + ".json"), "w", encoding="utf-8") as f:
            json.dump(annotation(d), f, ensure_ascii=False, indent=2)
            f.write("\n")
    print(len(DOCS), "documents")
