"""Pages to documents: interleaving order, node and document rules, rejects, limits."""
import gc
import time

import pytest

from jobs.config import load_config
from udfs.extract.documents import build_document, extract_page, time_limit, ExtractTimeout
from udfs.extract.interleave import interleave, parse

CFG = load_config().extract  # main_content mode
OBELICS = load_config(overrides=["extract.mode=obelics"]).extract
PROSE = ("The museum opened a new wing last spring, and visitors have been arriving in large numbers ever "
         "since. Its collection of early photographs is one of the best in the country, and the curators say "
         "that more of it will be shown next year.")
PROSE2 = ("A small team of volunteers restored the old wooden boats over the winter. They worked in a cold shed "
          "by the harbour, and most of them had never held a plane or a chisel before they started.")
PROSE3 = ("When the first boat went back into the water in April, half of the town came down to watch. The "
          "mayor gave a short speech, the children cheered, and the boat did not leak at all.")


def page(html: str, **extra) -> dict:
    return {"page_id": "p1", "url": "http://example.com/a/b.html", "warc_filename": "f.warc.gz",
            "warc_record_offset": 0, "warc_record_length": 10, "fetch_time": None, "http_status": 200,
            "html": html, "crawl": "CC-MAIN-2024-22", **extra}


ARTICLE = f"""<html><head><title>t</title><base href="http://cdn.example.com/media/"></head><body>
<div class="nav">Home | News | Sport</div>
<article><h1>A headline that is long enough</h1><p>{PROSE}</p>
<figure><img data-src="one.jpg" src="data:image/gif;base64,AAAA" alt=" First  photo " width="600" height="400">
<figcaption>The new wing</figcaption></figure>
<p>{PROSE2}</p>
<img src="logo.png" width="600" height="400"><img src="one.jpg" width="600" height="400">
<img srcset="two-small.jpg 300w, two-large.jpg 1200w" alt="Second">
<p>{PROSE3}</p><div class="footer">Copyright</div></article></body></html>"""


@pytest.mark.parametrize("settings", [CFG, OBELICS], ids=["main_content", "obelics"])
def test_texts_and_images_interleave_in_page_order(settings):
    doc, pairs = build_document(page(ARTICLE), settings)
    kinds = ["text" if t is not None else "image" for t in doc["texts"]]
    assert kinds == ["text", "image", "text", "image", "text"]
    assert all((t is None) != (i is None) for t, i in zip(doc["texts"], doc["images"]))
    assert doc["images"][1] == "http://cdn.example.com/media/one.jpg"
    assert doc["images"][3] == "http://cdn.example.com/media/two-large.jpg"
    meta = doc["image_meta"][1]
    assert (meta["alt_text"], meta["figcaption"], meta["rendered_width"], meta["unformatted_src"]) == (
        "First photo", "The new wing", 600, "one.jpg")
    assert doc["node_drops"] == {"image_banned_url": 1, "duplicate_image": 1}
    # obelics keeps a figcaption in the image's metadata only
    assert ("The new wing" in doc["texts"][2]) == (settings.mode == "main_content")
    assert "Home | News" not in " ".join(t for t in doc["texts"] if t) and "Copyright" not in str(doc["texts"])
    assert [(p["image_url"], p["alt_text"], p["position"]) for p in pairs] == [
        ("http://cdn.example.com/media/one.jpg", "First photo", 1),
        ("http://cdn.example.com/media/two-large.jpg", "Second", 3)]


def test_document_signals_and_keep():
    doc, _ = build_document(page(ARTICLE), CFG)
    assert doc["lang"] == "en" and doc["lang_score"] > 0.8
    assert doc["keep"] is True and doc["drop_reasons"] == []
    assert doc["n_images"] == 2 and doc["n_words"] > 100


def test_text_only_and_language_rules():
    text_only = f"<html><body><p>{PROSE}</p><p>{PROSE2}</p></body></html>"
    doc, _ = build_document(page(text_only), CFG)
    assert doc["drop_reasons"] == ["no_images"]
    relaxed = load_config(overrides=["extract.require_images=false"]).extract
    assert build_document(page(text_only), relaxed)[0]["keep"] is True
    german = ("<html><body><p>Das Museum hat im Frühjahr einen neuen Flügel eröffnet, und seitdem kommen viele "
              "Besucher in die Stadt. Die Sammlung alter Fotografien gehört zu den besten des Landes, und die "
              "Kuratoren sagen, dass im nächsten Jahr noch mehr davon gezeigt wird.</p></body></html>")
    doc, _ = build_document(page(german), relaxed)
    assert doc["lang"] == "de" and "language" in doc["drop_reasons"]
    any_lang = load_config(overrides=["extract.require_images=false", "extract.languages=[]"]).extract
    assert "language" not in build_document(page(german), any_lang)[0]["drop_reasons"]


@pytest.mark.parametrize("html_page, reason", [
    (page("<p>x</p>", http_status=404), "http_status_404"),
    (page("<p>" + "a" * 100 + "</p>"), "too_large"),
])
def test_pages_that_are_not_extracted_are_rejects(html_page, reason):
    settings = load_config(overrides=["extract.max_html_chars=50"]).extract
    (row,) = extract_page(html_page, settings)
    assert row["row_kind"] == "reject" and row["reason"] == reason and row["stage"] == "extract"


def test_deep_nesting_and_garbage_do_not_escape():
    prose = f"<p>{PROSE}</p>"
    (row,) = extract_page(page("<div>" * 10000 + prose + "</div>" * 10000), CFG)
    assert (row["row_kind"], row["reason"]) == ("reject", "too_deep")  # before lexbor's quadratic build
    for settings in (CFG, OBELICS):
        doc = extract_page(page("<div>" * 1000 + prose + "</div>" * 1000), settings)[0]
        assert doc["row_kind"] == "doc" and PROSE in doc["texts"][0]
    for html in ["", "\x00\x01\x02", "<<<>>>&&&;;", "<img src=>" * 100, "<p>" * 5000]:
        assert extract_page(page(html), CFG)[0]["row_kind"] in ("doc", "reject")


def test_hostile_text_stays_linear_and_typed():
    from schemas.docs import ALT_PAIRS, DOCS
    from udfs.common.arrow_rows import to_batch

    cases = ["<title>a" + " " * 30000 + "b</title><p>x</p>", "<b> </b>" * 20000, "<table><tr>" + "<td></td>" * 20000,
             f"<p>{PROSE}</p>" + '<img src="a.jpg" width="²" height="9' + "9" * 400 + 'px">',
             "<p>Read more \ue001 about \ue004 the museum</p>", "<img srcset='" + "a," * 20000 + "'>"]
    for html in cases:
        started = time.perf_counter()
        rows = extract_page(page(html), CFG)
        assert time.perf_counter() - started < 2, html[:40]
        assert rows[0]["row_kind"] == "doc", (html[:40], rows[0].get("detail"))
        to_batch(rows[:1], DOCS.arrow())
        to_batch(rows[1:], ALT_PAIRS.arrow())
    text = extract_page(page(cases[4]), CFG)[0]["texts"][0]
    assert text == "Read more about the museum"


def test_noscript_image_replaces_the_lazy_placeholder():
    html = (f"<article><p>{PROSE}</p><img src='/tiny.jpg?q=20' width='800' height='500'>"
            "<noscript><img src='/full.jpg' width='800' height='500'><p>Enable JavaScript</p></noscript>"
            f"<p>{PROSE2}</p></article>")
    doc = extract_page(page(html), CFG)[0]
    assert [i for i in doc["images"] if i] == ["http://example.com/full.jpg"]
    assert "Enable JavaScript" not in " ".join(t for t in doc["texts"] if t)


def test_forms_wrapping_the_page_keep_their_content():
    html = f"<body><form id='aspnetForm'><div id='content'><p>{PROSE}</p><p>{PROSE2}</p></div></form></body>"
    doc = extract_page(page(html), CFG)[0]
    assert PROSE in doc["texts"][0]


def test_time_limit_interrupts_python_work():
    started = time.perf_counter()
    with pytest.raises(ExtractTimeout):
        with time_limit(0.2):
            while True:
                pass
    assert time.perf_counter() - started < 2


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_time_limit_holds_when_python_drops_the_first_timeout():
    """A timeout raised inside a gc callback is printed and dropped by Python (hypothesis installs
    one); the timer fires again, so the page still stops near its limit."""
    def slow_callback(phase, info):
        if phase == "start":
            deadline = time.perf_counter() + 0.3
            while time.perf_counter() < deadline:
                pass

    started = time.perf_counter()
    gc.callbacks.append(slow_callback)
    try:
        with pytest.raises(ExtractTimeout):
            with time_limit(0.1):
                gc.collect()  # the first timeout fires in the callback and is lost
                dropped = time.perf_counter()
                while time.perf_counter() - dropped < 5:
                    pass
    finally:
        gc.callbacks.remove(slow_callback)
    assert time.perf_counter() - started < 1.5


LISTS_AND_TABLES = """<body><p>Kept paragraph</p><ul><li>list item</li><li>second item</li></ul>
    <table><tr><th>Name</th><th>Size</th></tr><tr><td>cell</td><td>42</td></tr></table>
    <div hidden>hidden text</div><div aria-hidden="true">aria</div><div style="display:none">none</div>
    <div id="menu">menu text</div><div class="post-date">1 May</div>
    <pre>def f():\n    return  1</pre><dl><dt>Term</dt><dd>Definition</dd></dl><p>Last</p></body>"""


def test_obelics_rules_drop_lists_tables_and_hidden_nodes():
    structure = interleave(parse(LISTS_AND_TABLES), "obelics")
    assert structure.blocks == ["Kept paragraph\n\nTerm\nDefinition\n\nLast"]


def test_main_content_keeps_lists_tables_pre_and_definitions():
    structure = interleave(parse(LISTS_AND_TABLES), "main_content")
    assert structure.blocks == ["Kept paragraph\n\nlist item\nsecond item\n\nName | Size\ncell | 42\n\n1 May\n\n"
                                "def f():\n    return  1\n\nTerm\nDefinition\n\nLast"]


def test_main_content_drops_boilerplate_around_the_article():
    html = f"""<body><div class="cookie-banner"><p>We use cookies to improve your experience, accept them all now please.</p></div>
    <nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <div class="layout"><article class="post-content"><h1>Headline of the story</h1>
      <figure><img src="/lead.jpg" width="800" height="500"><figcaption>Lead</figcaption></figure>
      <p>{PROSE}</p><p>{PROSE2}</p><div class="share-bar"><a href="#">Share on Facebook</a> <a href="#">Tweet</a></div>
      <p>{PROSE3}</p><img src="/second.jpg" width="800" height="500"></article>
    <aside class="sidebar"><h3>Most read</h3><ul><li><a href="/1">Another story about boats and harbours</a></li>
      <li><a href="/2">Yet another story about the museum wing</a></li></ul></aside></div>
    <div class="related-articles"><p><a href="/3">Related: ten facts about photographs you never knew</a></p></div>
    <footer>Copyright 2024</footer></body>"""
    doc, _ = build_document(page(html), CFG)
    text = "\n\n".join(t for t in doc["texts"] if t)
    assert PROSE in text and PROSE2 in text and PROSE3 in text and "Headline of the story" in text
    for boilerplate in ("cookies", "Home", "Share on Facebook", "Most read", "Related", "Copyright"):
        assert boilerplate not in text, boilerplate
    assert [i for i in doc["images"] if i] == ["http://example.com/lead.jpg", "http://example.com/second.jpg"]


class Side:
    """A side writer that keeps its rows (the tasks' own writes Parquet files)."""

    def __init__(self):
        self.rows = []

    def add(self, kind, row, nbytes=0):
        self.rows.append((kind, row))


def test_a_row_that_does_not_fit_the_schema_becomes_a_reject():
    from udfs.extract import documents

    good = page(f"<p>{PROSE}</p><img src='/a.jpg' alt='A harbour at dawn' width='800' height='500'>")
    bad = {**page("<p>x</p>"), "page_id": "p2"}
    original = documents.extract_page
    documents.extract_page = lambda p, s: ([{**original(p, s)[0], "n_words": 2 ** 40}]  # overflows int32
                                           if p["page_id"] == "p2" else original(p, s))
    try:
        side = Side()
        batches = list(documents.documents(iter([good, bad]), load_config(), side))
    finally:
        documents.extract_page = original
    assert [b.num_rows for b in batches] == [1] and batches[0].column("doc_id").to_pylist() == ["p1"]
    assert [(k, r.get("reason")) for k, r in side.rows] == [("reject", "parse_error"), ("alt_pair", None)]
    assert side.rows[0][1]["key"] == "p2"


def test_documents_batches_are_bounded(monkeypatch):
    from udfs.extract import documents

    monkeypatch.setattr(documents, "OUTPUT_ROWS", 3)
    pages = [{**page(f"<p>{PROSE}</p><p>{i}</p>"), "page_id": f"p{i}"} for i in range(7)]
    pages.append({**page(""), "page_id": "gone", "missing": "no page record at offset 9"})
    side = Side()
    batches = list(documents.documents(iter(pages), load_config(), side))
    assert [b.num_rows for b in batches] == [3, 3, 1]
    assert [r["reason"] for k, r in side.rows if k == "reject"] == ["record_not_found"]


def test_main_content_vocabulary_edges():
    from udfs.extract import main_content as mc

    assert mc.is_boilerplate({"class": "site-menu"}) and mc.is_boilerplate({"id": "menu"})
    assert not mc.is_boilerplate({"class": "MathJax CtxtMenu_Attached_0"})  # content, not a menu
    assert not mc.is_boilerplate({"id": "sharing-with-a-single-developer"})  # a heading's slug
    assert mc.is_boilerplate({"id": "share-bar"})
    assert not mc.is_boilerplate({"class": "dnd-widget-wrapper type-image"})  # an image wrapper
    html = (f"<article><p>{PROSE}</p><p>The formula <math><mi>x</mi><mo>=</mo><mn>42</mn></math> "
            f"holds.</p></article>")
    text = extract_page(page(html), CFG)[0]["texts"][0]
    assert "x = 42" in text or "x=42" in text.replace(" ", "")


def test_main_content_names_that_decide_whatever_else_they_say():
    from udfs.extract import main_content as mc

    assert mc.is_boilerplate({"id": "cookie-content"})  # a consent tool's content
    assert mc.is_boilerplate({"class": "detail-content__recommend--wrapper x"})  # the block's own name
    # a script hook or modifier further on does not make an article boilerplate
    assert not mc.is_boilerplate({"class": "bo-article-text js-dynamic-advertorial js-external-links"})


def test_main_content_dialogs_neither_score_nor_stay():
    notice = " ".join(["Cookies let us and our partners store and read information on your device."] * 12)
    html = f"""<body><div id="consent-sdk"><div role="alertdialog" aria-modal="true"><h2>Cookie Notice</h2>
      <p>{notice}</p><p>{notice}</p></div></div>
      <div class="story"><h1>Short story headline</h1><p>{PROSE}</p></div></body>"""
    text = "\n\n".join(t for t in extract_page(page(html), CFG)[0]["texts"] if t)
    assert PROSE in text and "Cookie" not in text


def _teaser_items(n: int, href: str = "/other-story") -> str:
    return "".join(f"""<li class="card item-{i}"><img src="/t{i}.jpg"><h3><a href="{href}-{i}">Headline number {i} of
        another story</a></h3><p>A short summary of that story, in one sentence without links {i}.</p></li>"""
                   for i in range(n))


def test_main_content_drops_a_list_of_teasers_but_keeps_a_page_of_them():
    article = f"<article><h1>The story</h1><p>{PROSE}</p><p>{PROSE2}</p><p>{PROSE3}</p></article>"
    with_teasers = f"<body><main>{article}<ul class='more'>{_teaser_items(4)}</ul></main></body>"
    text = "\n\n".join(t for t in extract_page(page(with_teasers), CFG)[0]["texts"] if t)
    assert PROSE3 in text and "Headline number" not in text and "short summary" not in text
    # a document whose sections carry permalink anchors ("¶") is no list of teasers
    sections = "".join(f"<div class='section'><h2>Part {i}<a href='#part-{i}'>¶</a></h2><p>{p}</p></div>"
                       for i, p in enumerate((PROSE, PROSE2, PROSE3)))
    text = "\n\n".join(t for t in extract_page(page(f"<body><div class='doc'>{sections}</div></body>"), CFG)[0]["texts"]
                       if t)
    assert PROSE in text and PROSE2 in text and PROSE3 in text
    # when the best block is in such a list, or the page is nothing else, the teasers are the content
    long_items = "".join(f"""<li class="card"><h3><a href="/s{i}">Story {i}</a></h3><p>{PROSE} {i}</p></li>"""
                         for i in range(4))
    for listing in (f"<body><ol class='stories'>{long_items}</ol><ol class='more'>{_teaser_items(3)}</ol></body>",
                    f"<body><ol class='more'>{_teaser_items(3)}</ol></body>"):
        text = "\n\n".join(t for t in extract_page(page(listing), CFG)[0]["texts"] if t)
        assert "Headline number 2" in text and ("Story 3" in text or "Story" not in listing)
