"""Data shown as text where Streamlit or Plotly would read it as markup: the one place that escapes it.

Streamlit parses Markdown in st.markdown/write, captions, alerts, toasts, titles and headers, st.table cells,
metric labels, tab, expander, button and radio labels; Plotly parses a subset of HTML (<a href>, <b>, <br>)
in every text it draws. Whatever came from data, files, users or the URL goes through :func:`plain` (Markdown)
or :func:`chart_text` (Plotly) on its way there; st.text, st.dataframe cells and selectbox options are text.
"""

from __future__ import annotations

import html
import re
import string

MARKDOWN_SPECIAL = set(string.punctuation)  # CommonMark lets any ASCII punctuation be escaped
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
# GFM links bare URLs and e-mail addresses after escapes are resolved (a backslash does not stop it): an
# invisible word joiner inside "://", before the dot of "www." and before "@" breaks the pattern, not the text
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?i:(?<=www))(?=\.)|(?=@)")


def _visible(ch: str) -> str:
    """A direction override or isolate as its code point, so it cannot reverse the text around it."""
    return f"<U+{ord(ch):04X}>"


def plain(text: object) -> str:
    """Data shown where Streamlit parses Markdown (st.markdown, captions, alerts, st.table cells, labels), as
    text: every ASCII punctuation mark escaped, so no link, image, bare URL, ``$…$`` formula, ``:red[…]`` colour
    or emphasis can come from data (masked names hold '*'); direction overrides shown as their code points
    instead of reversing the text around them.

    Examples
    --------
    >>> print(plain("[会话已过期](https://evil.example/login)").replace(WORD_JOINER, "<WJ>"))
    \\[会话已过期\\]\\(https\\:<WJ>\\/\\/evil\\.example\\/login\\)
    >>> print(plain("王**"), plain("a\u202eb"))
    王\\*\\* a\\<U+202E\\>b
    >>> print(plain("www.x.cn a@b.cn").replace(WORD_JOINER, "<WJ>"))
    www<WJ>\\.x\\.cn a<WJ>\\@b\\.cn
    """
    out = []
    for ch in _AUTOLINK.sub(WORD_JOINER, str(text)):
        if ch in MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        elif ch in BIDI_CONTROLS:
            out.append(_visible(ch).replace("<", "\\<").replace(">", "\\>"))
        else:
            out.append(ch)
    return "".join(out)


def chart_text(text: object) -> str:
    """Data shown in a Plotly figure (tick, legend, hover, annotation text), as text: ``<``, ``>`` and ``&``
    escaped, so no link, bold or line break can come from data; direction overrides as their code points.

    Examples
    --------
    >>> print(chart_text("<a href='https://evil.example'>点我</a> & \u202e"))
    &lt;a href='https://evil.example'&gt;点我&lt;/a&gt; &amp; &lt;U+202E&gt;
    """
    return html.escape(vega_text(text), quote=False)  # what Vega needs, and HTML escaped for Plotly


def vega_text(text: object) -> str:
    """Data shown in an Altair (Vega-Lite) chart: Vega draws text as text, so only direction overrides need
    showing, as their code points (a hidden one would reorder what the viewer reads).

    Examples
    --------
    >>> print(vega_text("惠城区\u202e <b>"))
    惠城区<U+202E> <b>
    """
    return "".join(_visible(ch) if ch in BIDI_CONTROLS else ch for ch in str(text))


# trace properties whose strings Plotly draws (ticks, legend, bar and slice labels, hover): category values and
# names come from data; ``text`` and ``hovertemplate`` are the page's own (numbers, <br>) and escape their data
# where they are built, with chart_text
# legendgroup is an id, not drawn: escaped like the names it groups so the groups stay the same
_TRACE_TEXT = ("x", "y", "name", "legendgroup", "labels", "hovertext", "parents")


def _escaped(value):
    if isinstance(value, str):
        return chart_text(value)
    if isinstance(value, tuple | list) or str(getattr(value, "dtype", "")) == "object":
        return [_escaped(v) if isinstance(v, str | tuple | list) else v for v in value]  # multi-category axes
    return value


def chart_figure(fig):
    """``fig`` with every data string Plotly would draw as HTML (category axes, trace names, labels, Sankey
    nodes, tick texts) passed through :func:`chart_text`; click events keep their point indexes and customdata.
    Returns the same figure."""
    for trace in fig.data:
        for prop in _TRACE_TEXT:
            if prop in trace and trace[prop] is not None:
                trace[prop] = _escaped(trace[prop])
        if trace.type == "sankey":
            trace.node.label = _escaped(trace.node.label) if trace.node.label is not None else None
    for axis in (k for k in fig.layout if k.startswith(("xaxis", "yaxis"))):
        if fig.layout[axis].ticktext is not None:
            fig.layout[axis].ticktext = _escaped(fig.layout[axis].ticktext)
    return fig
