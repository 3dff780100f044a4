//! Page composition (GB/T 9704-2012 geometry) and PDF emission via printpdf.
//!
//! Two passes: blocks are laid out into a small display list per page, then
//! the display list becomes printpdf ops. The split lets font resource names
//! (and so the subset tags) be derived from the glyphs actually used, which
//! keeps the output byte-identical across runs.

use std::collections::{BTreeMap, BTreeSet};

use printpdf::{
    Codepoint, Color, FontId, Greyscale, Line as PdfLine, LineDashPattern, LinePoint, Mm, Op,
    PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing,
    Pt, TextItem, TextMatrix, WindingOrder,
};
use sha2::{Digest, Sha256};

use crate::date::parse_rfc3339_utc;
use crate::fonts::FontRole;
use crate::layout::{Flow, Glyph, Line, Measurer, break_form_line, break_lines};
use crate::{Block, Document, FontSet, PdfError};

const PT_PER_MM: f32 = 72.0 / 25.4;
const fn mm(v: f32) -> f32 {
    v * PT_PER_MM
}

// GB/T 9704-2012 §5.2: A4, top margin 37 mm, left 28 mm, text area 156 × 225 mm.
const PAGE_H: f32 = mm(297.0);
const LEFT: f32 = mm(28.0);
const TEXT_W: f32 = mm(156.0);
const TEXT_H: f32 = mm(225.0);
const TOP_Y: f32 = PAGE_H - mm(37.0);
const BOTTOM_Y: f32 = TOP_Y - TEXT_H;
const RIGHT: f32 = LEFT + TEXT_W;
/// GB/T 9704 §5.2.3: 22 lines per page.
const GRID_LINES: u32 = 22;
const PITCH: f32 = TEXT_H / GRID_LINES as f32;
/// How far the line pitch may tighten to keep a document on one page (each
/// part between page breaks on its own page): §5.2.3 lets the 22 lines be
/// adjusted, and §7.3.5.5 allows adjusting line spacing so the seal and date
/// stay with the text (§7.3.5.1: the seal within a line of it). The loosest
/// grid that fits is used, 32 lines at most: a 7.0 mm pitch, 1.25 × the
/// 16 pt body size, still a clear gap between lines. The engine's 工伤认定
/// 一次性告知单 with eight materials (two of them two-line rows), the 补正
/// and procedure paragraphs, signature and two-line stub needs 32; its
/// acceptance notice with the provisional-deadline note 29; 24 would fit
/// neither.
const TIGHT_LINES: u32 = 32;
/// 28 characters per line.
const CELL: f32 = TEXT_W / 28.0;

const BODY_PT: f32 = 16.0; // 3号
const TITLE_PT: f32 = 22.0; // 2号
const TABLE_PT: f32 = 14.0; // 4号
const PAGE_NO_PT: f32 = 14.0; // 4号
const FOOTER_PT: f32 = 14.0;
/// A tightened grid never sets two-line titles closer than this.
const TITLE_MIN_PITCH: f32 = TITLE_PT * 1.3;
const TABLE_LINE: f32 = TABLE_PT * 1.4;
const TABLE_PAD_X: f32 = 4.0;
const TABLE_PAD_Y: f32 = 3.0;
const TABLE_AIR: f32 = 4.0;
const QR_SIZE: f32 = mm(20.0);
/// Height of a CJK glyph's visual centre above the baseline, in em
/// (ideographic em box runs from -0.12 to 0.88).
const CJK_MID: f32 = 0.38;
const EPS: f32 = 0.01;

enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        font: usize,
        tc: f32,
        /// (glyph id, character) pairs; the character feeds /ToUnicode.
        glyphs: Vec<(u16, char)>,
    },
    Stroke {
        points: Vec<(f32, f32)>,
        width: f32,
        dash: bool,
    },
    /// Filled rectangles (x, y, w, h): the QR modules.
    Fill { rects: Vec<(f32, f32, f32, f32)> },
}

/// Splits a line into same-font runs at absolute positions.
fn line_items(out: &mut Vec<Item>, line: &Line, x0: f32, baseline: f32, size: f32) {
    let mut x = x0 + line.indent;
    let mut run: Vec<(u16, char)> = Vec::new();
    let mut run_x = x;
    let mut run_font: Option<usize> = None;
    for g in &line.glyphs {
        if run_font != Some(g.font) {
            if let Some(f) = run_font {
                out.push(Item::Text {
                    x: run_x,
                    y: baseline,
                    size,
                    font: f,
                    tc: line.tc,
                    glyphs: std::mem::take(&mut run),
                });
            }
            run_font = Some(g.font);
            run_x = x;
        }
        run.push((g.gid, g.ch));
        x += g.adv + line.tc;
    }
    if let Some(f) = run_font {
        out.push(Item::Text {
            x: run_x,
            y: baseline,
            size,
            font: f,
            tc: line.tc,
            glyphs: run,
        });
    }
}

/// The vertical metrics of one layout: the 22-line grid, or a tighter one.
#[derive(Debug, Clone, Copy)]
struct Grid {
    pitch: f32,
    /// Between the lines of a title of two or more lines.
    title_pitch: f32,
    table_line: f32,
    table_pad_y: f32,
    /// Space between a table and the text above and below it.
    table_air: f32,
}

impl Grid {
    fn with_lines(lines: u32) -> Grid {
        let pitch = TEXT_H / lines as f32;
        // Table rows tighten with the body lines, so a table costs about the
        // same number of lines on any grid.
        let scale = pitch / PITCH;
        // Wrapped cell lines never closer than 1.2 em. What that floor adds
        // to a line comes out of the row's padding, not on top of it: a
        // one-line row keeps its share of a body line (0.88), where adding
        // it made the eight-row table of a 一次性告知单 cost 12 lines on the
        // 32-line grid instead of 10 and pushed the notice onto two pages.
        let table_line = (TABLE_LINE * scale).max(TABLE_PT * 1.2);
        let table_pad_y = (TABLE_PAD_Y * scale - (table_line - TABLE_LINE * scale) / 2.0).max(0.0);
        Grid {
            pitch,
            title_pitch: pitch.max(TITLE_MIN_PITCH),
            table_line,
            table_pad_y,
            table_air: TABLE_AIR * scale,
        }
    }
}

/// A text line placed in the flow: where its items start in the page's
/// list, the top of its slot, and the block (paragraph, title, …) it is from.
#[derive(Debug, Clone, Copy)]
struct Mark {
    idx: usize,
    y: f32,
    block: u32,
}

struct Composer<'a, 'f> {
    m: &'a Measurer<'f>,
    g: Grid,
    pages: Vec<Vec<Item>>,
    cur: Vec<Item>,
    /// Top of the next free slot on the current page.
    y: f32,
    /// Whether any flow content was placed on the current page.
    has_flow: bool,
    /// Right edge available for a marker on the current page (left of the QR on page 1).
    marker_right: f32,
    /// Each text line placed since the last non-line content on this page:
    /// lets the signature (and the stub) take the last lines along to a new
    /// page instead of standing alone there.
    marks: Vec<Mark>,
    /// Numbers the blocks of text lines (see [`Mark::block`]).
    block: u32,
    /// The block of the signature's first line, once placed.
    sig_block: Option<u32>,
}

impl<'a, 'f> Composer<'a, 'f> {
    fn new(m: &'a Measurer<'f>, g: Grid) -> Composer<'a, 'f> {
        Composer {
            m,
            g,
            pages: Vec::new(),
            cur: Vec::new(),
            y: TOP_Y,
            has_flow: false,
            marker_right: RIGHT,
            marks: Vec::new(),
            block: 0,
            sig_block: None,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.cur));
        self.y = TOP_Y;
        self.has_flow = false;
        self.marker_right = RIGHT;
        self.marks.clear();
    }

    /// Starts a new page unless `h` still fits (an empty page always "fits").
    fn ensure(&mut self, h: f32) {
        if self.y - h < BOTTOM_Y - EPS && self.has_flow {
            self.new_page();
        }
    }

    fn push_line(&mut self, line: &Line, x0: f32, baseline: f32, size: f32) {
        line_items(&mut self.cur, line, x0, baseline, size);
    }

    /// Places lines in the flow, one per `pitch`, breaking pages as needed.
    /// `align` maps a line to its left x. The lines are one block.
    fn flow_lines(&mut self, lines: &[Line], size: f32, pitch: f32, align: impl Fn(&Line) -> f32) {
        self.block += 1;
        for line in lines {
            self.flow_row(std::slice::from_ref(line), align(line), size, pitch);
        }
    }

    /// Places one line made of segments set one after the other.
    fn flow_row(&mut self, segs: &[Line], x0: f32, size: f32, pitch: f32) {
        self.ensure(pitch);
        self.marks.push(Mark {
            idx: self.cur.len(),
            y: self.y,
            block: self.block,
        });
        let baseline = self.y - pitch / 2.0 - CJK_MID * size;
        let mut x = x0;
        for seg in segs {
            self.push_line(seg, x, baseline, size);
            x += seg.indent + seg.glyphs.iter().map(|g| g.adv + seg.tc).sum::<f32>();
        }
        self.y -= pitch;
        self.has_flow = true;
    }

    fn shape(
        &self,
        role: FontRole,
        size: f32,
        field: &str,
        text: &str,
    ) -> Result<Vec<Glyph>, PdfError> {
        self.m.shape(role, size, field, text)
    }

    fn body_flow(indent_first: bool, justify: bool) -> Flow {
        Flow {
            width: TEXT_W,
            indent: if indent_first { 2.0 * CELL } else { 0.0 },
            base_tc: CELL - BODY_PT,
            justify,
        }
    }

    fn title(&mut self, doc: &Document) -> Result<(), PdfError> {
        self.title_lines(&doc.title)?;
        if let Some(no) = doc.doc_no.as_deref().filter(|s| !s.trim().is_empty()) {
            let glyphs = self.shape(FontRole::Body, BODY_PT, "文号", no)?;
            let lines = break_lines(&glyphs, Self::body_flow(false, false));
            self.flow_lines(&lines, BODY_PT, self.g.pitch, |l| {
                LEFT + (TEXT_W - l.width()) / 2.0
            });
        }
        self.blank_after_title();
        Ok(())
    }

    /// One blank line between a title (and 文号) and the body, ending on the
    /// grid: on a tightened grid a title line is taller than a body line
    /// (22 pt on a 19.9 pt pitch at 32 lines) and the blank gives up that
    /// excess while it is under half a line (a larger one rounds up to the
    /// next grid line) rather than set the whole body off the grid, where a
    /// table's end snapping back to it would cost a line. On the 22-line
    /// grid the blank is exactly one line, as before.
    fn blank_after_title(&mut self) {
        if self.has_flow {
            let used = (TOP_Y - self.y) / self.g.pitch;
            self.y = TOP_Y - (used + 0.5 - EPS).ceil() * self.g.pitch;
        }
    }

    /// Title lines: 22 pt, centred, balanced.
    fn title_lines(&mut self, title: &str) -> Result<(), PdfError> {
        // "\n" in the title is an explicit break (the engine knows the word
        // boundaries GB/T 9704 asks titles to break at; we do not).
        let mut lines = Vec::new();
        for part in title.split('\n').filter(|p| !p.trim().is_empty()) {
            let glyphs = self.shape(FontRole::Title, TITLE_PT, "标题", part)?;
            let flow = Flow {
                width: TEXT_W,
                indent: 0.0,
                base_tc: 0.0,
                justify: false,
            };
            let mut part_lines = break_lines(&glyphs, flow);
            if part_lines.len() > 1 {
                // GB/T 9704 asks for a symmetric title: balance the line lengths.
                let total: f32 = glyphs.iter().map(|g| g.adv).sum();
                let n = part_lines.len() as f32;
                let balanced = Flow {
                    width: (total / n + TITLE_PT).min(TEXT_W),
                    ..flow
                };
                let again = break_lines(&glyphs, balanced);
                if again.len() == part_lines.len() {
                    part_lines = again;
                }
            }
            lines.extend(part_lines);
        }
        // A one-line title only needs room for itself on a tightened grid.
        let pitch = if lines.len() > 1 {
            self.g.title_pitch
        } else {
            self.g.pitch.max(TITLE_PT)
        };
        self.flow_lines(&lines, TITLE_PT, pitch, |l| {
            LEFT + (TEXT_W - l.width()) / 2.0
        });
        Ok(())
    }

    /// A title inside the flow (e.g. the 承诺书 after a page break), with a
    /// blank line after it like the document title.
    fn block_title(&mut self, text: &str) -> Result<(), PdfError> {
        self.title_lines(text)?;
        self.blank_after_title();
        Ok(())
    }

    fn paragraph(&mut self, text: &str, indent_first: bool, field: &str) -> Result<(), PdfError> {
        for para in text.split('\n') {
            let glyphs = self.shape(FontRole::Body, BODY_PT, field, para)?;
            if glyphs.is_empty() {
                self.ensure(self.g.pitch);
                self.y -= self.g.pitch;
                self.has_flow = true;
                continue;
            }
            let lines = break_lines(&glyphs, Self::body_flow(indent_first, true));
            self.flow_body(&lines);
        }
        Ok(())
    }

    /// Body lines of one paragraph with widow and orphan control: neither its
    /// first line alone at a page foot nor its last line alone at a page head.
    fn flow_body(&mut self, lines: &[Line]) {
        let cap = ((TOP_Y - BOTTOM_Y + EPS) / self.g.pitch).floor().max(1.0) as usize;
        let fit = if self.has_flow {
            ((self.y - BOTTOM_Y + EPS) / self.g.pitch).floor().max(0.0) as usize
        } else {
            cap
        };
        for (i, chunk) in page_chunks(lines.len(), fit, cap).into_iter().enumerate() {
            if chunk.is_empty() {
                continue;
            }
            if i > 0 && self.has_flow {
                self.new_page();
            }
            self.flow_lines(&lines[chunk], BODY_PT, self.g.pitch, |_| LEFT);
        }
    }

    fn addressee(&mut self, text: &str) -> Result<(), PdfError> {
        let glyphs = self.shape(FontRole::Body, BODY_PT, "主送", text)?;
        let lines = break_lines(&glyphs, Self::body_flow(false, true));
        self.flow_lines(&lines, BODY_PT, self.g.pitch, |_| LEFT);
        Ok(())
    }

    fn heading(&mut self, text: &str) -> Result<(), PdfError> {
        let glyphs = self.shape(FontRole::Heading, BODY_PT, "标题", text)?;
        let lines = break_lines(&glyphs, Self::body_flow(true, true));
        // Keep a heading with at least one line of what follows.
        self.ensure(self.g.pitch * (lines.len() as f32 + 1.0));
        self.flow_lines(&lines, BODY_PT, self.g.pitch, |_| LEFT);
        Ok(())
    }

    /// `keep_after`: height of what must stay on the page of the last row
    /// (a signature and stub right after the table), so it never stands alone.
    fn table(
        &mut self,
        headers: &[String],
        rows: &[Vec<String>],
        widths: &[u32],
        field: &str,
        keep_after: f32,
    ) -> Result<(), PdfError> {
        let bad = |reason: String| PdfError::InvalidTable {
            field: field.to_string(),
            reason,
        };
        let g = self.g;
        let ncols = widths.len();
        if ncols == 0 {
            return Err(bad("no columns".into()));
        }
        if !headers.is_empty() && headers.len() != ncols {
            return Err(bad(format!(
                "{} headers for {} column widths",
                headers.len(),
                ncols
            )));
        }
        let total: u32 = widths.iter().sum();
        if total > 28 || widths.contains(&0) {
            return Err(bad(format!(
                "column widths {widths:?} must be positive and sum to at most 28"
            )));
        }
        if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() > ncols) {
            return Err(bad(format!(
                "row {} has {} cells for {} columns",
                i + 1,
                r.len(),
                ncols
            )));
        }
        let col_w: Vec<f32> = widths.iter().map(|&w| w as f32 * CELL).collect();
        let table_w: f32 = col_w.iter().sum();
        let x0 = LEFT + (TEXT_W - table_w) / 2.0;
        let mut xs = vec![x0];
        for w in &col_w {
            let last = xs.last().copied().unwrap_or(x0);
            xs.push(last + w);
        }

        let lay_row =
            |this: &Self, cells: &[String], role: FontRole| -> Result<Vec<Vec<Line>>, PdfError> {
                let mut out = Vec::with_capacity(ncols);
                for (c, w) in col_w.iter().enumerate() {
                    let text = cells.get(c).map(String::as_str).unwrap_or("");
                    let glyphs = this.shape(role, TABLE_PT, field, text)?;
                    out.push(break_lines(
                        &glyphs,
                        Flow {
                            width: w - 2.0 * TABLE_PAD_X,
                            indent: 0.0,
                            base_tc: 0.0,
                            justify: role == FontRole::Body,
                        },
                    ));
                }
                Ok(out)
            };
        let row_h = |cells: &[&[Line]]| {
            let n = cells.iter().map(|c| c.len()).max().unwrap_or(1).max(1);
            n as f32 * g.table_line + 2.0 * g.table_pad_y
        };
        let head = if headers.is_empty() {
            None
        } else {
            Some(lay_row(self, headers, FontRole::Heading)?)
        };
        let head_h = head
            .as_ref()
            .map(|h| row_h(&h.iter().map(Vec::as_slice).collect::<Vec<_>>()))
            .unwrap_or(0.0);
        let body: Vec<Vec<Vec<Line>>> = rows
            .iter()
            .map(|r| lay_row(self, r, FontRole::Body))
            .collect::<Result<_, _>>()?;

        // Narrow columns of one-line cells (序号, 状态) read better centred.
        let centred: Vec<bool> = (0..ncols)
            .map(|c| widths[c] <= 6 && body.iter().all(|r| r.get(c).is_none_or(|l| l.len() <= 1)))
            .collect();
        let all_centred = vec![true; ncols];
        if self.has_flow {
            self.y -= g.table_air; // between the text above and the rule
        }
        let head: Option<Vec<&[Line]>> =
            head.as_ref().map(|h| h.iter().map(Vec::as_slice).collect());
        let capacity = TOP_Y - BOTTOM_Y;
        let mut need_head = true;
        for (i, cells) in body.iter().enumerate() {
            let tail = if i + 1 == body.len() { keep_after } else { 0.0 };
            let mut rest: Vec<&[Line]> = cells.iter().map(Vec::as_slice).collect();
            loop {
                let h = row_h(&rest);
                let head_extra = if need_head { head_h } else { 0.0 };
                let fits = self.y - h - head_extra >= BOTTOM_Y - EPS;
                // What follows starts where the table ends: below its air, on the grid.
                let fits_with_tail = tail <= 0.0
                    || self.after_table(self.y - h - head_extra) - tail >= BOTTOM_Y - EPS;
                if fits && !fits_with_tail && self.has_flow && h + head_h + tail <= capacity {
                    // The last row goes over with what follows it (header repeated).
                    self.new_page();
                    need_head = true;
                    continue;
                }
                if !fits && self.has_flow && h + head_h <= capacity {
                    // Move the whole row to the next page.
                    self.new_page();
                    need_head = true;
                    continue;
                }
                // Either it fits, or the row is taller than a page: take what fits.
                let room = self.y - BOTTOM_Y - head_extra - 2.0 * g.table_pad_y;
                let k = if fits {
                    usize::MAX
                } else {
                    (room / g.table_line + EPS).floor().max(0.0) as usize
                };
                if k == 0 {
                    self.new_page();
                    need_head = true;
                    continue;
                }
                if need_head {
                    if let Some(hd) = &head {
                        self.table_row(hd, &xs, head_h, &all_centred, true);
                    }
                    need_head = false;
                }
                let part: Vec<&[Line]> = rest.iter().map(|c| &c[..k.min(c.len())]).collect();
                self.table_row(&part, &xs, row_h(&part), &centred, false);
                rest = rest.iter().map(|c| &c[k.min(c.len())..]).collect();
                if rest.iter().all(|c| c.is_empty()) {
                    break;
                }
                self.new_page();
                need_head = true;
            }
        }
        if body.is_empty()
            && let Some(hd) = &head
        {
            self.ensure(head_h);
            self.table_row(hd, &xs, head_h, &all_centred, true);
        }
        self.y = self.after_table(self.y);
        Ok(())
    }

    /// Where the flow resumes below a table ending at `y`: a little air, then
    /// the next body-line boundary.
    fn after_table(&self, y: f32) -> f32 {
        let used = TOP_Y - (y - self.g.table_air);
        let lines = (used / self.g.pitch - EPS).ceil().max(0.0);
        TOP_Y - lines * self.g.pitch
    }

    fn table_row(&mut self, cells: &[&[Line]], xs: &[f32], h: f32, centred: &[bool], header: bool) {
        let g = self.g;
        self.marks.clear();
        let top = self.y;
        let bottom = top - h;
        let (x_first, x_last) = (xs[0], xs[xs.len() - 1]);
        let w = if header { 1.0 } else { 0.6 };
        self.cur.push(Item::Stroke {
            points: vec![(x_first, top), (x_last, top)],
            width: w,
            dash: false,
        });
        self.cur.push(Item::Stroke {
            points: vec![(x_first, bottom), (x_last, bottom)],
            width: w,
            dash: false,
        });
        for &x in xs {
            self.cur.push(Item::Stroke {
                points: vec![(x, top), (x, bottom)],
                width: 0.6,
                dash: false,
            });
        }
        for (c, lines) in cells.iter().copied().enumerate() {
            let cell_x = xs[c] + TABLE_PAD_X;
            let cell_w = xs[c + 1] - xs[c] - 2.0 * TABLE_PAD_X;
            // Short cells are centred vertically within the row.
            let block_h = lines.len() as f32 * g.table_line;
            let mut slot_top = top - (h - block_h) / 2.0;
            for line in lines {
                let baseline = slot_top - g.table_line / 2.0 - CJK_MID * TABLE_PT;
                let x = if centred.get(c).copied().unwrap_or(false) {
                    cell_x + (cell_w - line.width()) / 2.0
                } else {
                    cell_x
                };
                self.push_line(line, x, baseline, TABLE_PT);
                slot_top -= g.table_line;
            }
        }
        self.y = bottom;
        self.has_flow = true;
    }

    /// The least height a signature needs: the seal room tightened to one
    /// line, then office and date.
    fn signature_min_height(&self, office: &str, date_text: &str) -> Result<f32, PdfError> {
        let nojust = Self::body_flow(false, false);
        let n = break_lines(
            &self.shape(FontRole::Body, BODY_PT, "发文机关", office)?,
            nojust,
        )
        .len()
            + break_lines(
                &self.shape(FontRole::Body, BODY_PT, "成文日期", date_text)?,
                nojust,
            )
            .len();
        Ok((n as f32 + 1.0) * self.g.pitch)
    }

    /// `stub_after`: height of a stub that follows, which the seal room
    /// tightens for where that keeps the stub on this page.
    fn signature(
        &mut self,
        office: &str,
        date_text: &str,
        stub_after: f32,
    ) -> Result<(), PdfError> {
        let office_g = self.shape(FontRole::Body, BODY_PT, "发文机关", office)?;
        let date_g = self.shape(FontRole::Body, BODY_PT, "成文日期", date_text)?;
        let nojust = Self::body_flow(false, false);
        let office_l = break_lines(&office_g, nojust);
        let date_l = break_lines(&date_g, nojust);
        // Two blank lines for the seal, then office and date: ~40 mm kept together.
        let text_h = (office_l.len() + date_l.len()) as f32 * self.g.pitch;
        let p = self.g.pitch;
        let fits = |room: f32, below: f32| self.y - room - text_h - below >= BOTTOM_Y - EPS;
        let mut room = 2.0 * p;
        if self.has_flow {
            // GB/T 9704 §7.3.5.5: adjust the spacing rather than let the
            // signature leave the text (§7.3.5.1: the seal within a line of
            // it) or the stub leave the signature; failing that, the last
            // lines of text come along.
            let keeps_stub = !fits(room, stub_after) && fits(p, stub_after);
            let keeps_itself = !fits(room, 0.0) && fits(p, 0.0);
            if keeps_stub || keeps_itself {
                room = p;
            } else if !fits(room, 0.0) {
                self.carry_before(self.marks.len());
            }
        }
        self.y -= room;
        self.sig_block = Some(self.block + 1);
        // GB/T 9704 §7.3.5.1: date 4 characters from the right; office centred on the date.
        let date_right = RIGHT - 4.0 * CELL;
        let date_w = date_l.iter().map(Line::width).fold(0.0, f32::max);
        let date_x = date_right - date_w;
        let centre = date_x + date_w / 2.0;
        self.flow_lines(&office_l, BODY_PT, self.g.pitch, |l| {
            (centre - l.width() / 2.0).min(RIGHT - l.width()).max(LEFT)
        });
        self.flow_lines(&date_l, BODY_PT, self.g.pitch, |l| {
            (date_right - l.width()).max(LEFT)
        });
        Ok(())
    }

    /// Moves text lines to a new page with everything placed after them: at
    /// least the two lines before mark `last`, and more where the cut would
    /// otherwise leave one line of a paragraph alone (its first at the foot of
    /// this page or its last at the head of the next).
    fn carry_before(&mut self, last: usize) {
        let last = last.min(self.marks.len());
        if last == 0 {
            self.new_page();
            return;
        }
        let hi = last.saturating_sub(2);
        let good = |p: usize| {
            let b = self.marks[p].block;
            let before = self.marks[..p]
                .iter()
                .rev()
                .take_while(|m| m.block == b)
                .count();
            let after = self.marks[p..last]
                .iter()
                .take_while(|m| m.block == b)
                .count();
            before == 0 || (before >= 2 && after >= 2)
        };
        let p = (1..=hi).rev().find(|&p| good(p)).unwrap_or(hi);
        if p == 0 && self.marks[0].y >= TOP_Y - EPS {
            // Everything on the page would move: nothing to gain.
            self.new_page();
            return;
        }
        self.carry_from(p);
    }

    /// Moves mark `p`'s line and everything after it to the top of a new page.
    fn carry_from(&mut self, p: usize) {
        let Mark { idx, y: y0, .. } = self.marks[p];
        let height = y0 - self.y;
        let kept: Vec<Mark> = self.marks[p..].to_vec();
        let mut moved: Vec<Item> = self.cur.drain(idx..).collect();
        self.new_page();
        let dy = TOP_Y - y0;
        for item in &mut moved {
            match item {
                Item::Text { y, .. } => *y += dy,
                Item::Stroke { points, .. } => points.iter_mut().for_each(|p| p.1 += dy),
                Item::Fill { rects } => rects.iter_mut().for_each(|r| r.1 += dy),
            }
        }
        let base = self.cur.len();
        self.cur.append(&mut moved);
        // The moved lines can be moved again (the stub taking the signature).
        self.marks = kept
            .into_iter()
            .map(|m| Mark {
                idx: m.idx - idx + base,
                y: m.y + dy,
                block: m.block,
            })
            .collect();
        self.y = TOP_Y - height;
        self.has_flow = true;
    }

    /// The stub's lines, each a row of segments (see [`break_form_line`]).
    fn stub_rows(&self, lines: &[String]) -> Result<Vec<Vec<Line>>, PdfError> {
        let mut rows = Vec::new();
        for l in lines {
            let g = self.shape(FontRole::Body, BODY_PT, "回执", l)?;
            rows.extend(break_form_line(&g, Self::body_flow(false, false)));
        }
        Ok(rows)
    }

    /// The height of the stub: its cut line and its lines.
    fn stub_height(&self, lines: &[String]) -> Result<f32, PdfError> {
        Ok(self.g.pitch * (self.stub_rows(lines)?.len() as f32 + 1.0))
    }

    /// `after_signature`: the block before is the signature, which the stub
    /// must not leave behind on a page of its own.
    fn stub(&mut self, lines: &[String], after_signature: bool) -> Result<(), PdfError> {
        let rows = self.stub_rows(lines)?;
        let need = self.g.pitch * (rows.len() as f32 + 1.0);
        if self.has_flow && self.y - need < BOTTOM_Y - EPS {
            // The stub never goes alone to a page: it takes the signature and
            // the lines the signature keeps with it (§7.3.5.1), or else the
            // last lines of text. Rendering tries a tighter grid first (see
            // `render`), so this only happens when even that cannot help.
            let sig = self
                .sig_block
                .filter(|_| after_signature)
                .and_then(|b| self.marks.iter().position(|m| m.block == b));
            match sig {
                // Only table rows above the signature: the table kept room for
                // both, so only a row taller than a page gets here. A stub
                // alone is the lesser harm than a signature without text.
                Some(0) => self.new_page(),
                Some(s) => self.carry_before(s),
                None => self.carry_before(self.marks.len()),
            }
        }
        self.ensure(need);
        // The stub is cut off along the dashed line: it sits at the page foot,
        // whatever length the notice above it has.
        if self.has_flow {
            self.y = self.y.min(BOTTOM_Y + need);
        }
        self.marks.clear();
        // The cut line sits in the middle of its own line slot.
        let y = self.y - self.g.pitch / 2.0;
        self.cur.push(Item::Stroke {
            points: vec![(LEFT - mm(10.0), y), (RIGHT + mm(10.0), y)],
            width: 0.6,
            dash: true,
        });
        self.y -= self.g.pitch;
        self.has_flow = true;
        self.block += 1;
        for row in &rows {
            self.flow_row(row, LEFT, BODY_PT, self.g.pitch);
        }
        Ok(())
    }

    fn marker(&mut self, text: &str) -> Result<(), PdfError> {
        let size = BODY_PT;
        let g = self.shape(FontRole::Heading, size, "标记", text)?;
        let line = Line {
            tc: 0.0,
            indent: 0.0,
            glyphs: g,
        };
        self.marks.clear();
        let pad = 4.0;
        let w = line.width() + 2.0 * pad;
        let right = self.marker_right;
        let x = right - w;
        let box_bottom = TOP_Y + mm(8.0);
        let box_top = box_bottom + size + 2.0 * pad;
        self.cur.push(Item::Stroke {
            points: vec![
                (x, box_bottom),
                (right, box_bottom),
                (right, box_top),
                (x, box_top),
                (x, box_bottom),
            ],
            width: 1.2,
            dash: false,
        });
        let baseline = (box_bottom + box_top) / 2.0 - CJK_MID * size;
        self.push_line(&line, x + pad, baseline, size);
        self.marker_right = x - mm(3.0);
        Ok(())
    }

    fn spacer(&mut self, lines: u32) {
        let h = lines as f32 * self.g.pitch;
        if self.y - h < BOTTOM_Y - EPS {
            self.new_page();
        } else {
            self.y -= h;
        }
    }

    fn footer_note(&mut self, text: &str) -> Result<(), PdfError> {
        let g = self.shape(FontRole::Body, FOOTER_PT, "附注", text)?;
        let lines = break_lines(
            &g,
            Flow {
                width: TEXT_W,
                indent: 0.0,
                base_tc: 0.0,
                justify: true,
            },
        );
        let lh = FOOTER_PT * 1.5;
        let h = lines.len() as f32 * lh;
        if self.y - h < BOTTOM_Y - EPS {
            self.new_page();
        }
        // Set flush to the bottom of the text area of the last page.
        self.y = BOTTOM_Y + h;
        self.flow_lines(&lines, FOOTER_PT, lh, |_| LEFT);
        Ok(())
    }

    fn qr(&mut self, payload: &str) -> Result<(), PdfError> {
        let qr = qrcodegen::QrCode::encode_text(payload, qrcodegen::QrCodeEcc::Medium)
            .map_err(|_| PdfError::QrTooLong { len: payload.len() })?;
        let n = qr.size();
        // Beyond version 10 (57 modules) a 20 mm code has modules under
        // 0.35 mm, which office printers and phone cameras do not resolve.
        if n > 57 {
            return Err(PdfError::QrTooLong { len: payload.len() });
        }
        let module = QR_SIZE / n as f32;
        let x0 = RIGHT - QR_SIZE;
        let top = PAGE_H - mm(12.0);
        let mut rects = Vec::new();
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if qr.get_module(col, row) {
                    let start = col;
                    while col < n && qr.get_module(col, row) {
                        col += 1;
                    }
                    rects.push((
                        x0 + start as f32 * module,
                        top - (row + 1) as f32 * module,
                        (col - start) as f32 * module,
                        module,
                    ));
                } else {
                    col += 1;
                }
            }
        }
        self.cur.push(Item::Fill { rects });
        self.marks.clear();
        self.marker_right = x0 - mm(3.0);
        Ok(())
    }

    fn finish(mut self) -> Vec<Vec<Item>> {
        self.pages.push(std::mem::take(&mut self.cur));
        self.pages
    }
}

/// How `n` lines of a paragraph split over pages when `fit` lines fit on the
/// current page and `cap` on a fresh one: ranges per page, the first possibly
/// empty (the paragraph starts on the next page). No page gets a lone first
/// line (orphan) or a lone last line (widow) of a paragraph of 2+ lines.
fn page_chunks(n: usize, fit: usize, cap: usize) -> Vec<std::ops::Range<usize>> {
    let mut sizes = vec![fit.min(n)];
    if n >= 2 && sizes[0] == 1 {
        sizes[0] = 0;
    }
    let mut left = n - sizes[0];
    while left > 0 {
        let take = left.min(cap);
        sizes.push(take);
        left -= take;
    }
    let k = sizes.len();
    if n >= 2 && k >= 2 && sizes[k - 1] == 1 {
        if sizes[k - 2] >= 3 {
            sizes[k - 2] -= 1;
            sizes[k - 1] += 1;
        } else if k == 2 {
            // 2 + 1: the whole paragraph goes to the next page.
            sizes = vec![0, n];
        }
    }
    let mut at = 0;
    sizes
        .into_iter()
        .map(|len| {
            let r = at..at + len;
            at += len;
            r
        })
        .collect()
}

/// Checks every text of the document against the font chains before layout,
/// so a 生僻字 no font has fails with the field named, never as a blank box.
fn check_document(doc: &Document, fonts: &FontSet) -> Result<(), PdfError> {
    fonts.check_text(FontRole::Title, "标题", &doc.title)?;
    if let Some(no) = &doc.doc_no {
        fonts.check_text(FontRole::Body, "文号", no)?;
    }
    if let Some(note) = &doc.footer_note {
        fonts.check_text(FontRole::Body, "附注", note)?;
    }
    for b in &doc.blocks {
        match b {
            Block::Paragraph { text, field, .. } => {
                fonts.check_text(FontRole::Body, field, text)?
            }
            Block::Addressee(t) => fonts.check_text(FontRole::Body, "主送", t)?,
            Block::Heading(t) => fonts.check_text(FontRole::Heading, "标题", t)?,
            Block::Title(t) => fonts.check_text(FontRole::Title, "标题", t)?,
            Block::Table {
                headers,
                rows,
                field,
                ..
            } => {
                for h in headers {
                    fonts.check_text(FontRole::Heading, field, h)?;
                }
                for cell in rows.iter().flatten() {
                    fonts.check_text(FontRole::Body, field, cell)?;
                }
            }
            Block::Signature { office, date_text } => {
                fonts.check_text(FontRole::Body, "发文机关", office)?;
                fonts.check_text(FontRole::Body, "成文日期", date_text)?;
            }
            Block::Stub { lines } => {
                for l in lines {
                    fonts.check_text(FontRole::Body, "回执", l)?;
                }
            }
            Block::Marker(t) => fonts.check_text(FontRole::Heading, "标记", t)?,
            Block::Spacer { .. } | Block::PageBreak => {}
        }
    }
    Ok(())
}

/// Typesets `doc` into PDF bytes. Same document + same fonts → same bytes.
pub fn render(doc: &Document, fonts: &FontSet) -> Result<Vec<u8>, PdfError> {
    let date = parse_rfc3339_utc(&doc.creation_date)?;
    check_document(doc, fonts)?;
    let m = Measurer::new(fonts);
    let mut pages = compose(doc, &m, Grid::with_lines(GRID_LINES))?;
    // Before letting a document run onto another page, see whether a tighter
    // grid keeps each part (the text between page breaks) on one page: the
    // loosest one that does is used.
    let parts = 1 + doc
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::PageBreak))
        .count();
    if pages.len() > parts {
        let tightest = compose(doc, &m, Grid::with_lines(TIGHT_LINES))?;
        if tightest.len() <= parts {
            pages = tightest;
            for lines in GRID_LINES + 1..TIGHT_LINES {
                let tighter = compose(doc, &m, Grid::with_lines(lines))?;
                if tighter.len() <= parts {
                    pages = tighter;
                    break;
                }
            }
        }
    }
    number_pages(&mut pages, &m)?;
    emit(doc, fonts, &pages, date)
}

/// Lays the document out on `g`: the display list of each page.
fn compose(doc: &Document, m: &Measurer<'_>, g: Grid) -> Result<Vec<Vec<Item>>, PdfError> {
    let mut c = Composer::new(m, g);
    if let Some(p) = doc.qr_payload.as_deref().filter(|p| !p.is_empty()) {
        c.qr(p)?;
    }
    c.title(doc)?;
    for (i, b) in doc.blocks.iter().enumerate() {
        match b {
            Block::Paragraph {
                text,
                indent_first,
                field,
            } => c.paragraph(text, *indent_first, field)?,
            Block::Addressee(t) => c.addressee(t)?,
            Block::Heading(t) => c.heading(t)?,
            Block::Title(t) => c.block_title(t)?,
            Block::Table {
                headers,
                rows,
                col_widths_chars,
                field,
            } => {
                // The last row stays with a signature and stub that follow.
                let mut keep_after = 0.0;
                let mut next = doc.blocks.get(i + 1);
                if let Some(Block::Signature { office, date_text }) = next {
                    keep_after += c.signature_min_height(office, date_text)?;
                    next = doc.blocks.get(i + 2);
                }
                if let Some(Block::Stub { lines }) = next {
                    keep_after += c.stub_height(lines)?;
                }
                c.table(headers, rows, col_widths_chars, field, keep_after)?
            }
            Block::Signature { office, date_text } => {
                let stub_after = match doc.blocks.get(i + 1) {
                    Some(Block::Stub { lines }) => c.stub_height(lines)?,
                    _ => 0.0,
                };
                c.signature(office, date_text, stub_after)?
            }
            Block::Stub { lines } => {
                let after_signature =
                    i > 0 && matches!(doc.blocks.get(i - 1), Some(Block::Signature { .. }));
                c.stub(lines, after_signature)?
            }
            Block::Spacer { lines } => c.spacer(*lines),
            Block::PageBreak => {
                if c.has_flow {
                    c.new_page();
                }
            }
            Block::Marker(t) => c.marker(t)?,
        }
    }
    if let Some(note) = doc.footer_note.as_deref().filter(|s| !s.trim().is_empty()) {
        c.footer_note(note)?;
    }
    Ok(c.finish())
}

/// Page numbers "— n —" (GB/T 9704 §7.5): the dashes 7 mm below the text
/// area; odd pages at the right and even pages at the left, one character
/// in from the edge of the text area. A single page is numbered too.
/// Drawn as three pieces half an em apart so text extraction keeps the spaces.
fn number_pages(pages: &mut [Vec<Item>], m: &Measurer<'_>) -> Result<(), PdfError> {
    let baseline = BOTTOM_Y - mm(7.0) - CJK_MID * PAGE_NO_PT;
    let gap = PAGE_NO_PT / 2.0;
    for (i, page) in pages.iter_mut().enumerate() {
        let n = i + 1;
        let mut parts = Vec::with_capacity(3);
        for text in ["—".to_string(), n.to_string(), "—".to_string()] {
            let glyphs = m.shape(FontRole::Body, PAGE_NO_PT, "页码", &text)?;
            parts.push(Line {
                glyphs,
                tc: 0.0,
                indent: 0.0,
            });
        }
        let total = parts.iter().map(Line::width).sum::<f32>() + 2.0 * gap;
        let mut x = if n % 2 == 1 {
            RIGHT - CELL - total
        } else {
            LEFT + CELL
        };
        for part in &parts {
            line_items(page, part, x, baseline, PAGE_NO_PT);
            x += part.width() + gap;
        }
    }
    Ok(())
}

/// Six uppercase letters from a digest, for the PDF subset tag (ISO 32000-1 §9.6.4).
fn subset_tag(seed: &[u8]) -> String {
    Sha256::digest(seed)
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

fn emit(
    doc: &Document,
    fonts: &FontSet,
    pages: &[Vec<Item>],
    date: crate::date::Utc,
) -> Result<Vec<u8>, PdfError> {
    let mut pdf = PdfDocument::new(&doc.pdf_title);
    let (y, mo, d, h, mi, s) = date;
    let dt = printpdf::DateTime {
        date: printpdf::Date {
            year: y,
            month: mo,
            day: d,
        },
        time: printpdf::Time {
            hour: h,
            minute: mi,
            second: s,
            millisecond: 0,
        },
        offset: printpdf::Offset {
            hours: 0,
            minutes: 0,
            seconds: 0,
            milliseconds: 0,
        },
    };
    pdf.metadata.info.creation_date = dt;
    pdf.metadata.info.modification_date = dt;
    pdf.metadata.info.metadata_date = dt;
    pdf.metadata.info.producer = "yichuang-pdf".to_string();
    pdf.metadata.info.creator = "yichuang".to_string();

    // Which characters and glyphs each font draws: decides which fonts to
    // embed, their tags, and the glyphs of each subset.
    let mut used: Vec<BTreeSet<char>> = vec![BTreeSet::new(); fonts.fonts.len()];
    let mut gids: Vec<BTreeSet<u16>> = vec![BTreeSet::new(); fonts.fonts.len()];
    for item in pages.iter().flatten() {
        if let Item::Text { font, glyphs, .. } = item {
            used[*font].extend(glyphs.iter().map(|g| g.1));
            gids[*font].extend(glyphs.iter().map(|g| g.0));
        }
    }
    let mut ids: Vec<Option<FontId>> = vec![None; fonts.fonts.len()];
    // Per font, the original glyph id → its id in the embedded subset.
    let mut remap: Vec<BTreeMap<u16, u16>> = vec![BTreeMap::new(); fonts.fonts.len()];
    for (i, chars) in used.iter().enumerate() {
        if chars.is_empty() {
            continue;
        }
        let f = &fonts.fonts[i];
        let mut seed = f.sha256()?.to_owned().into_bytes();
        seed.extend(f.spec.face_index.to_be_bytes());
        seed.extend(chars.iter().collect::<String>().into_bytes());
        let id = FontId(format!("{}{}", subset_tag(&seed), i));
        // Only the glyphs used are read from the file and handed to printpdf.
        let (program, map) = f.subset(&gids[i])?;
        pdf.resources
            .fonts
            .map
            .insert(id.clone(), printpdf::PdfFont::new(program));
        ids[i] = Some(id);
        remap[i] = map;
    }

    let black = Color::Greyscale(Greyscale::new(0.0, None));
    let pt = |x: f32, y: f32| LinePoint {
        p: Point { x: Pt(x), y: Pt(y) },
        bezier: false,
    };
    let mut out_pages = Vec::with_capacity(pages.len());
    for items in pages {
        let mut ops = vec![
            Op::SetOutlineColor { col: black.clone() },
            Op::SetFillColor { col: black.clone() },
        ];
        let mut dashed = false;
        let mut width = -1.0f32;
        for item in items {
            match item {
                Item::Stroke {
                    points,
                    width: w,
                    dash,
                } => {
                    if *w != width {
                        ops.push(Op::SetOutlineThickness { pt: Pt(*w) });
                        width = *w;
                    }
                    if *dash != dashed {
                        ops.push(Op::SetLineDashPattern {
                            dash: if *dash {
                                LineDashPattern::new(0.0, &[4.0, 3.0])
                            } else {
                                LineDashPattern::solid()
                            },
                        });
                        dashed = *dash;
                    }
                    ops.push(Op::DrawLine {
                        line: PdfLine {
                            points: points.iter().map(|&(x, y)| pt(x, y)).collect(),
                            is_closed: false,
                        },
                    });
                }
                Item::Fill { rects } => {
                    let rings = rects
                        .iter()
                        .map(|&(x, y, w, h)| PolygonRing {
                            points: vec![pt(x, y), pt(x + w, y), pt(x + w, y + h), pt(x, y + h)],
                        })
                        .collect();
                    ops.push(Op::DrawPolygon {
                        polygon: Polygon {
                            rings,
                            mode: PaintMode::Fill,
                            winding_order: WindingOrder::NonZero,
                        },
                    });
                }
                Item::Text { .. } => {}
            }
        }
        ops.push(Op::StartTextSection);
        let mut cur_font: Option<(usize, f32)> = None;
        let mut cur_tc = 0.0f32;
        for item in items {
            let Item::Text {
                x,
                y,
                size,
                font,
                tc,
                glyphs,
            } = item
            else {
                continue;
            };
            let Some(Some(id)) = ids.get(*font) else {
                continue;
            };
            if cur_font != Some((*font, *size)) {
                ops.push(Op::SetFont {
                    font: PdfFontHandle::External(id.clone()),
                    size: Pt(*size),
                });
                cur_font = Some((*font, *size));
            }
            if *tc != cur_tc {
                ops.push(Op::SetCharacterSpacing { multiplier: *tc });
                cur_tc = *tc;
            }
            ops.push(Op::SetTextMatrix {
                matrix: TextMatrix::Translate(Pt(*x), Pt(*y)),
            });
            // Glyph ids, not text: the face was chosen per character by our
            // font chain, and the embedded program's cmap is a stub. The ids
            // are the subset's; /ToUnicode is built from these same pairs.
            let map = &remap[*font];
            ops.push(Op::ShowText {
                items: vec![TextItem::GlyphIds(
                    glyphs
                        .iter()
                        .map(|&(gid, ch)| Codepoint {
                            gid: map.get(&gid).copied().unwrap_or(0),
                            offset: 0.0,
                            cid: Some(ch.to_string()),
                        })
                        .collect(),
                )],
            });
        }
        ops.push(Op::EndTextSection);
        out_pages.push(PdfPage::new(Mm(210.0), Mm(297.0), ops));
    }
    pdf.with_pages(out_pages);

    // printpdf's own save compresses at zlib level 9 (a third of the render
    // time) and writes a random /ID; do both ourselves on its lopdf document.
    // Level 1 costs ~6% in size (56 KB vs 53 KB for a one-page notice).
    let opts = PdfSaveOptions {
        optimize: false,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = printpdf::serialize::to_lopdf_doc(&pdf, &opts, &mut warnings);
    let mut id_hash = Sha256::new();
    for obj in lo.objects.values_mut() {
        if let lopdf::Object::Stream(stream) = obj {
            if stream.allows_compression && stream.dict.get(b"Filter").is_err() {
                let packed = deflate(&stream.content);
                if !packed.is_empty() && packed.len() < stream.content.len() {
                    stream.dict.set("Filter", "FlateDecode");
                    stream.set_content(packed);
                }
            }
            id_hash.update(&stream.content);
        }
    }
    // printpdf fills the Info dictionary with empty keys; an empty
    // /GTS_PDFXVersion makes readers report PDF/X conformance we do not claim.
    if let Ok(info) = lo
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        && let Ok(dict) = lo.get_object_mut(info).and_then(lopdf::Object::as_dict_mut)
    {
        for key in [
            b"GTS_PDFXVersion".as_slice(),
            b"Identifier",
            b"Keywords",
            b"Subject",
            b"Author",
        ] {
            dict.remove(key);
        }
    }
    id_hash.update(doc.creation_date.as_bytes());
    id_hash.update(doc.pdf_title.as_bytes());
    let id = id_hash.finalize()[..16].to_vec();
    lo.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::String(id.clone(), lopdf::StringFormat::Hexadecimal),
            lopdf::Object::String(id, lopdf::StringFormat::Hexadecimal),
        ]),
    );
    let mut bytes = Vec::with_capacity(64 * 1024);
    lo.save_to(&mut bytes)
        .map_err(|e| PdfError::Write(e.to_string()))?;
    Ok(bytes)
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(data.len() / 2),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::page_chunks;

    fn sizes(n: usize, fit: usize, cap: usize) -> Vec<usize> {
        page_chunks(n, fit, cap)
            .into_iter()
            .map(|r| r.len())
            .collect()
    }

    #[test]
    fn no_orphan_and_no_widow() {
        assert_eq!(sizes(5, 22, 22), vec![5], "fits: untouched");
        assert_eq!(
            sizes(1, 1, 22),
            vec![1],
            "a one-line paragraph may end a page"
        );
        assert_eq!(sizes(4, 1, 22), vec![0, 4], "first line alone at the foot");
        assert_eq!(sizes(4, 3, 22), vec![2, 2], "last line alone at the head");
        assert_eq!(sizes(3, 2, 22), vec![0, 3], "2 + 1 moves the paragraph");
        assert_eq!(sizes(23, 22, 22), vec![21, 2]);
        assert_eq!(sizes(50, 5, 22), vec![5, 22, 21, 2]);
        assert_eq!(sizes(6, 0, 22), vec![0, 6], "page already full");
        let total: usize = sizes(200, 7, 22).iter().sum();
        assert_eq!(total, 200);
        assert!(sizes(200, 7, 22).iter().skip(1).all(|&s| s >= 2));
    }
}
