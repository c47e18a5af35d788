"""Look and behaviour of the page with nothing fetched from outside the app's own origin.

Gradio's stock themes pull fonts from Google Fonts; the machines this runs on have no internet,
and a font request that hangs would also leak which documents staff are reading. So the theme
uses only fonts every OS already has (with good Vietnamese coverage), the CSS is inline, and the
little JavaScript the citation markers need is inline too.
"""

from __future__ import annotations

import gradio as gr

SYSTEM_FONTS = (
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Noto Sans",
    "Helvetica Neue",
    "Arial",
    "sans-serif",
)
SYSTEM_MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace")


def system_theme() -> gr.themes.Base:
    """A sober theme: dark-red accent, slate neutrals, system fonts only."""
    return gr.themes.Base(
        primary_hue=gr.themes.colors.red,
        secondary_hue=gr.themes.colors.amber,
        neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_sm,
        font=SYSTEM_FONTS,
        font_mono=SYSTEM_MONO,
    ).set(
        body_text_size="16px",
        button_primary_background_fill="#9b1c1c",
        button_primary_background_fill_hover="#7f1515",
        button_primary_text_color="#ffffff",
        block_title_text_weight="600",
    )


CSS = """
.gradio-container { max-width: 1440px !important; margin: 0 auto; }
#app-header { border-bottom: 3px solid #9b1c1c; padding: 4px 0 10px; margin-bottom: 6px; }
#app-header h1 { font-size: 1.45rem; margin: 0; color: #7f1515; }
#app-header p { margin: 2px 0 0; color: #475569; }
#app-header { align-items: center; }
#language { border: none; background: transparent; }
#language .wrap { flex-wrap: nowrap; }
#library-table, #library-table * { font-family: inherit !important; }
#chatbot .message { font-size: 16px; line-height: 1.6; }
#chatbot .standalone { font-size: 14px; color: #475569; background: #f1f5f9; border-left: 3px solid #94a3b8;
  padding: 4px 8px; margin-bottom: 6px; }
a.cite-ref { display: inline-block; min-width: 1.6em; padding: 0 3px; margin: 0 1px; border-radius: 4px;
  background: #fde8e8; color: #9b1c1c !important; font-size: 0.85em; font-weight: 600; text-align: center;
  text-decoration: none !important; cursor: pointer; vertical-align: 1px; }
a.cite-ref:hover { background: #9b1c1c; color: #fff !important; }
#citation-column { position: sticky; top: 8px; align-self: flex-start; }
.cite-panel { max-height: calc(100vh - 40px); overflow-y: auto; padding-right: 4px; }
.cite-empty { color: #64748b; padding: 12px; border: 1px dashed #cbd5e1; border-radius: 6px; }
.cite-turn { display: none; }
.cite-turn.current { display: block; }
.cite-heading { font-weight: 600; color: #334155; margin: 2px 0; }
.cite-question { color: #64748b; font-size: 14px; margin-bottom: 8px; }
.cite-card { border: 1px solid #e2e8f0; border-radius: 6px; margin-bottom: 8px; background: #fff; }
.cite-card[open], .cite-card.active { border-color: #9b1c1c; box-shadow: 0 1px 4px rgba(155, 28, 28, .15); }
.cite-card summary { cursor: pointer; padding: 8px 10px; list-style-position: inside; font-size: 14px; }
.cite-n { color: #9b1c1c; font-weight: 700; }
.cite-doc { font-weight: 600; color: #1e293b; }
.cite-score { color: #64748b; font-size: 12px; }
.cite-upload { background: #fef3c7; color: #92400e; border-radius: 4px; padding: 0 6px; font-size: 12px; }
.cite-section { font-size: 13px; color: #475569; padding: 0 10px 6px; }
.cite-context { font-size: 15px; line-height: 1.65; padding: 8px 12px; margin: 0 10px; background: #fafaf9;
  border-left: 3px solid #e2e8f0; white-space: pre-wrap; overflow-wrap: anywhere; }
.cite-context .ctx { color: #94a3b8; }
.cite-context .passage { color: #1e293b; }
.cite-context mark.quote { background: #fff1b8; color: #111827; padding: 1px 0; border-bottom: 2px solid #f0c000; }
.cite-foot { display: flex; justify-content: space-between; gap: 8px; padding: 6px 10px 8px; font-size: 13px; }
.cite-source { color: #94a3b8; overflow-wrap: anywhere; }
.cite-open { color: #9b1c1c !important; white-space: nowrap; font-weight: 600; }
.export-link { display: inline-block; padding: 4px 12px; border: 1px solid #cbd5e1; border-radius: 4px;
  font-size: 14px; color: #1e293b !important; text-decoration: none !important; background: #fff; }
.export-link:hover { border-color: #9b1c1c; color: #9b1c1c !important; }
.export-link.disabled { color: #94a3b8 !important; background: #f8fafc; cursor: not-allowed; }
"""

# Markers link to "#cite-<turn>-<n>"; opening the card in the browser keeps a click instant and
# also works for the markers of earlier answers, whose cards stay in the panel (hidden).
HEAD = """
<script>
(() => {
  function openCitation(id) {
    const card = document.getElementById(id);
    if (!card || !card.classList.contains("cite-card")) return false;
    const turn = card.closest(".cite-turn");
    document.querySelectorAll(".cite-turn").forEach((g) => g.classList.toggle("current", g === turn));
    turn.querySelectorAll(".cite-card").forEach((c) => {
      c.open = c === card;
      c.classList.toggle("active", c === card);
    });
    card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    return true;
  }
  document.addEventListener("click", (event) => {
    const ref = event.target.closest ? event.target.closest("a.cite-ref") : null;
    if (!ref) return;
    if (openCitation((ref.getAttribute("href") || "").replace(/^#/, ""))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
})();
</script>
"""
