//! Measuring text with the font chain and breaking it into lines
//! (避头尾, unbreakable Latin runs, justification by character spacing).

use crate::PdfError;
use crate::fonts::{FontRole, FontSet, is_layout_control};

/// One character placed with a concrete face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Glyph {
    pub ch: char,
    /// Index into `FontSet::fonts`.
    pub font: usize,
    /// Glyph id in that face.
    pub gid: u16,
    /// Natural advance in pt at the run's size.
    pub adv: f32,
}

/// A laid-out line: glyphs and the character spacing (Tc) to draw them with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub glyphs: Vec<Glyph>,
    /// Tc in pt, applied after every glyph.
    pub tc: f32,
    /// Extra left offset (first-line indent), pt.
    pub indent: f32,
}

impl Line {
    pub fn width(&self) -> f32 {
        let n = self.glyphs.len() as f32;
        self.glyphs.iter().map(|g| g.adv).sum::<f32>() + self.tc * (n - 1.0).max(0.0)
    }
}

/// Not allowed at the start of a line (closing punctuation).
pub(crate) fn no_line_start(c: char) -> bool {
    matches!(
        c,
        '。' | '，'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '」'
            | '』'
            | '》'
            | '〉'
            | '】'
            | '〕'
            | '”'
            | '’'
            | '…'
            | '·'
            | '％'
            | '．'
            | ','
            | '.'
            | ';'
            | ':'
            | '?'
            | '!'
            | ')'
            | ']'
            | '}'
            | '%'
    )
}

/// Not allowed at the end of a line (opening punctuation).
pub(crate) fn no_line_end(c: char) -> bool {
    matches!(
        c,
        '（' | '「' | '『' | '《' | '〈' | '【' | '〔' | '“' | '‘' | '(' | '[' | '{'
    )
}

/// Faces of one render, parsed once.
pub(crate) struct Measurer<'a> {
    faces: Vec<Option<ttf_parser::Face<'a>>>,
    upem: Vec<f32>,
    body: Vec<usize>,
    title: Vec<usize>,
    heading: Vec<usize>,
}

impl<'a> Measurer<'a> {
    pub fn new(fonts: &'a FontSet) -> Measurer<'a> {
        Measurer {
            faces: fonts.fonts.iter().map(|f| f.face()).collect(),
            upem: fonts.fonts.iter().map(|f| f.units_per_em).collect(),
            body: fonts.chain(FontRole::Body),
            title: fonts.chain(FontRole::Title),
            heading: fonts.chain(FontRole::Heading),
        }
    }

    /// Chooses a face per character and measures it; a character no face has
    /// is an error naming `field`.
    pub fn shape(
        &self,
        role: FontRole,
        size: f32,
        field: &str,
        text: &str,
    ) -> Result<Vec<Glyph>, PdfError> {
        let chain = match role {
            FontRole::Body => &self.body,
            FontRole::Title => &self.title,
            FontRole::Heading => &self.heading,
        };
        let mut out = Vec::with_capacity(text.len());
        for ch in text.chars() {
            if is_layout_control(ch) {
                continue;
            }
            let found = chain.iter().find_map(|&i| {
                let face = self.faces.get(i)?.as_ref()?;
                let gid = face.glyph_index(ch)?;
                let adv = f32::from(face.glyph_hor_advance(gid).unwrap_or(0));
                Some(Glyph {
                    ch,
                    font: i,
                    gid: gid.0,
                    adv: adv / self.upem[i] * size,
                })
            });
            match found {
                Some(g) => out.push(g),
                None => {
                    return Err(PdfError::MissingGlyph {
                        field: field.to_string(),
                        ch,
                        codepoint: ch as u32,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Measure words that stay on the line of the number before them.
const NUMBER_UNITS: &str = "年月日号时分秒条款项章节岁个件份页元天周次";

/// Chunks that must stay on one line: a run of printable ASCII (an ID number,
/// a phone number, "GB/T"), a doubled dash "——" or ellipsis "……", or a
/// single other character. Returns (start, end) glyph indices.
fn tokens(glyphs: &[Glyph]) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < glyphs.len() {
        let start = i;
        let c = glyphs[i].ch;
        if c.is_ascii_graphic() {
            while i < glyphs.len() && glyphs[i].ch.is_ascii_graphic() {
                i += 1;
            }
            // A number keeps its measure word: "23日", "1号", "15个" never split.
            if glyphs[i - 1].ch.is_ascii_digit()
                && i < glyphs.len()
                && NUMBER_UNITS.contains(glyphs[i].ch)
            {
                i += 1;
            }
        } else if matches!(c, '—' | '…') {
            while i < glyphs.len() && glyphs[i].ch == c {
                i += 1;
            }
        } else {
            i += 1;
        }
        v.push((start, i));
    }
    v
}

/// How a run of text is broken and aligned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flow {
    /// Line width available, pt.
    pub width: f32,
    /// First-line indent, pt.
    pub indent: f32,
    /// Spacing added to every glyph so full-width characters sit on the grid
    /// (28 per line in a 16 pt body needs slightly less than 16 pt each).
    pub base_tc: f32,
    /// Stretch full lines to the width; the paragraph's last line stays flush left.
    pub justify: bool,
}

/// Greedy line breaking with 避头尾 adjustments.
pub(crate) fn break_lines(glyphs: &[Glyph], flow: Flow) -> Vec<Line> {
    const EPS: f32 = 0.01;
    let toks = tokens(glyphs);
    // Each glyph occupies its advance plus the grid spacing (its "cell").
    let eff = |a: usize, b: usize| -> f32 {
        glyphs[a..b]
            .iter()
            .map(|g| g.adv + flow.base_tc)
            .sum::<f32>()
    };
    let mut lines = Vec::new();
    // Position: token `t`, starting at glyph `from` (inside `t` after a split).
    let mut t = 0;
    let mut from = toks.first().map_or(0, |x| x.0);
    let mut first = true;
    loop {
        // Spaces never start a continuation line.
        while !first && t < toks.len() && glyphs[from].ch == ' ' {
            t += 1;
            from = toks.get(t).map_or(glyphs.len(), |x| x.0);
        }
        if t >= toks.len() {
            break;
        }
        let tok = |i: usize| if i == t { (from, toks[t].1) } else { toks[i] };
        let indent = if first { flow.indent } else { 0.0 };
        let avail = (flow.width - indent).max(0.0);
        let mut w = 0.0;
        let mut end_tok = t; // exclusive
        while end_tok < toks.len() {
            let (a, b) = tok(end_tok);
            let tw = eff(a, b);
            if w + tw <= avail + EPS {
                w += tw;
                end_tok += 1;
            } else {
                break;
            }
        }
        let (ga, gb);
        if end_tok == t {
            // One token wider than the line (a very long Latin run, or a
            // character wider than a narrow cell): split it by glyph.
            let (a, b) = tok(t);
            let mut k = a;
            let mut ww = 0.0;
            while k < b {
                let gw = glyphs[k].adv + flow.base_tc;
                if k > a && ww + gw > avail + EPS {
                    break;
                }
                ww += gw;
                k += 1;
            }
            (ga, gb) = (a, k);
            if k >= b {
                t += 1;
                from = toks.get(t).map_or(glyphs.len(), |x| x.0);
            } else {
                from = k;
            }
        } else {
            if end_tok < toks.len() {
                // 避头尾: pull characters down so the next line does not start
                // with closing punctuation; push opening punctuation off the end.
                let mut e = end_tok;
                loop {
                    let next_starts_bad = e < toks.len() && no_line_start(glyphs[toks[e].0].ch);
                    let ends_bad = no_line_end(glyphs[tok(e - 1).1 - 1].ch);
                    if (next_starts_bad || ends_bad) && e - 1 > t {
                        e -= 1;
                    } else {
                        break;
                    }
                }
                end_tok = e;
            }
            (ga, gb) = (from, tok(end_tok - 1).1);
            t = end_tok;
            from = toks.get(t).map_or(glyphs.len(), |x| x.0);
        }
        let mut line: Vec<Glyph> = glyphs[ga..gb].to_vec();
        while line.last().is_some_and(|g| g.ch == ' ') {
            line.pop();
        }
        let is_last = gb >= glyphs.len() || glyphs[gb..].iter().all(|g| g.ch == ' ');
        let natural: f32 = line.iter().map(|g| g.adv).sum();
        let n = line.len();
        let tc = if flow.justify && !is_last && n > 1 {
            (avail - natural) / (n as f32 - 1.0)
        } else {
            flow.base_tc
        };
        lines.push(Line {
            glyphs: line,
            tc,
            indent,
        });
        first = false;
    }
    lines
}

/// The blank of a form line: underlines to sign on and the ideographic
/// spaces left for a handwritten date ("＿＿＿＿　　年　月　日").
fn is_blank(c: char) -> bool {
    matches!(c, '＿' | '_' | '\u{3000}')
}

/// How far a form line's blanks may shrink to keep the line whole: to 60 % of
/// their width, which leaves an eight-character signature line about five
/// characters (28 mm) long. The words themselves keep the grid; GB/T 9704
/// §5.2.3 allows the 28 characters a line to be adjusted where needed.
const MIN_BLANK_SCALE: f32 = 0.6;

/// Breaks a line of the 回执 stub, which is a form: the blank to sign on and
/// the date after it ("＿＿＿＿　　年　月　日") must never be split. A line
/// too wide for one line first shrinks its blanks (see [`MIN_BLANK_SCALE`]);
/// failing that it breaks before the signature label, after the sentence
/// that precedes it ("本通知书已收到。" / "申请人（签名）：＿＿…年　月　日").
/// Each returned line is a row of segments set one after the other, each
/// with its own character spacing.
pub(crate) fn break_form_line(glyphs: &[Glyph], flow: Flow) -> Vec<Vec<Line>> {
    let plain = break_lines(glyphs, flow);
    if plain.len() <= 1 {
        return plain.into_iter().map(|l| vec![l]).collect();
    }
    if let Some(row) = squeeze_blanks(glyphs, flow) {
        return vec![row];
    }
    let fill = glyphs
        .iter()
        .position(|g| matches!(g.ch, '＿' | '_'))
        .or_else(|| glyphs.iter().position(|g| g.ch == '\u{3000}'));
    let Some(fill) = fill else {
        return plain.into_iter().map(|l| vec![l]).collect();
    };
    let label = glyphs[..fill]
        .iter()
        .rposition(|g| matches!(g.ch, '。' | '！' | '？' | '；'))
        .map_or(fill, |i| i + 1);
    if label == 0 {
        return plain.into_iter().map(|l| vec![l]).collect();
    }
    let tail = &glyphs[label..];
    let tail_row = match break_lines(
        tail,
        Flow {
            indent: 0.0,
            ..flow
        },
    ) {
        one if one.len() == 1 => one,
        _ => match squeeze_blanks(
            tail,
            Flow {
                indent: 0.0,
                ..flow
            },
        ) {
            Some(row) => row,
            // Even alone the blank and date do not fit: break as text.
            None => return plain.into_iter().map(|l| vec![l]).collect(),
        },
    };
    let mut out: Vec<Vec<Line>> = break_lines(&glyphs[..label], flow)
        .into_iter()
        .map(|l| vec![l])
        .collect();
    out.push(tail_row);
    out
}

/// Sets `glyphs` on one line by narrowing only the blanks, or `None` if they
/// would have to shrink below [`MIN_BLANK_SCALE`].
fn squeeze_blanks(glyphs: &[Glyph], flow: Flow) -> Option<Vec<Line>> {
    let cell = |g: &Glyph| g.adv + flow.base_tc;
    let words: f32 = glyphs.iter().filter(|g| !is_blank(g.ch)).map(cell).sum();
    let blanks: f32 = glyphs.iter().filter(|g| is_blank(g.ch)).map(cell).sum();
    if blanks <= 0.0 {
        return None;
    }
    let scale = (flow.width - flow.indent - words) / blanks;
    if !(MIN_BLANK_SCALE..1.0).contains(&scale) {
        return None;
    }
    // Segments of equal spacing: runs of words, and runs of same-width blanks.
    let mut row: Vec<Line> = Vec::new();
    let mut key: Option<(bool, f32)> = None;
    for g in glyphs {
        let blank = is_blank(g.ch);
        let k = (blank, if blank { g.adv } else { 0.0 });
        if key != Some(k) {
            let tc = if blank {
                cell(g) * scale - g.adv
            } else {
                flow.base_tc
            };
            row.push(Line {
                glyphs: Vec::new(),
                tc,
                indent: if row.is_empty() { flow.indent } else { 0.0 },
            });
            key = Some(k);
        }
        if let Some(seg) = row.last_mut() {
            seg.glyphs.push(*g);
        }
    }
    Some(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(text: &str) -> Vec<Glyph> {
        text.chars()
            .map(|ch| Glyph {
                ch,
                font: 0,
                gid: 1,
                adv: if ch.is_ascii() { 8.0 } else { 16.0 },
            })
            .collect()
    }

    fn s(l: &Line) -> String {
        l.glyphs.iter().map(|g| g.ch).collect()
    }

    const F: Flow = Flow {
        width: 160.0,
        indent: 0.0,
        base_tc: 0.0,
        justify: true,
    };

    #[test]
    fn a_number_keeps_its_measure_word() {
        // 8 CJK (128pt) + "23" (16pt) fits; "日" would be the 11th unit: it
        // must not start the next line alone.
        let lines = break_lines(&g("一二三四五六七八月23日至"), F);
        assert_eq!(s(&lines[0]), "一二三四五六七八月");
        assert_eq!(s(&lines[1]), "23日至");
    }

    #[test]
    fn fills_ten_chars_and_justifies_all_but_last() {
        let lines = break_lines(&g("一二三四五六七八九十一二三"), F);
        assert_eq!(lines.len(), 2);
        assert_eq!(s(&lines[0]), "一二三四五六七八九十");
        assert!((lines[0].width() - 160.0).abs() < 0.01);
        assert_eq!(lines[1].tc, 0.0);
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        // The 11th character is "。": pull "十" down with it.
        let lines = break_lines(&g("一二三四五六七八九十。二三"), F);
        assert_eq!(s(&lines[0]), "一二三四五六七八九");
        assert_eq!(s(&lines[1]), "十。二三");
        assert!((lines[0].width() - 160.0).abs() < 0.01, "still justified");
    }

    #[test]
    fn opening_punctuation_never_ends_a_line() {
        let lines = break_lines(&g("一二三四五六七八九（十）"), F);
        assert_eq!(s(&lines[0]), "一二三四五六七八九");
        assert_eq!(s(&lines[1]), "（十）");
    }

    #[test]
    fn ascii_runs_stay_together() {
        // 6 CJK (96pt) + an 18-digit ID (144pt) does not fit: the ID moves whole.
        let lines = break_lines(&g("身份证号码：110101199003071234号"), F);
        assert_eq!(s(&lines[0]), "身份证号码：");
        assert_eq!(s(&lines[1]), "110101199003071234号");
    }

    #[test]
    fn doubled_dashes_and_ellipses_stay_together() {
        // A dash may start a line, but is never split.
        let lines = break_lines(&g("一二三四五六七八九——十"), F);
        assert_eq!(s(&lines[0]), "一二三四五六七八九");
        assert_eq!(s(&lines[1]), "——十");
        // An ellipsis may not start a line: the character before comes along.
        let lines = break_lines(&g("一二三四五六七八九……"), F);
        assert_eq!(s(&lines[1]), "九……");
    }

    #[test]
    fn overlong_ascii_run_is_split() {
        let lines = break_lines(&g(&"9".repeat(45)), F);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].glyphs.len(), 20);
        assert_eq!(lines[2].glyphs.len(), 5);
    }

    #[test]
    fn a_cell_narrower_than_a_character_still_progresses() {
        let f = Flow { width: 10.0, ..F };
        let lines = break_lines(&g(&"字".repeat(5000)), f);
        assert_eq!(lines.len(), 5000);
        assert!(lines.iter().all(|l| l.glyphs.len() == 1));
    }

    #[test]
    fn first_line_indent_reduces_width() {
        let f = Flow { indent: 32.0, ..F };
        let lines = break_lines(&g("一二三四五六七八九十一二三"), f);
        assert_eq!(lines[0].glyphs.len(), 8);
        assert_eq!(lines[1].indent, 0.0);
    }
    /// The width a row of segments occupies, trailing spacing included.
    fn row_w(row: &[Line]) -> f32 {
        row.iter()
            .flat_map(|l| l.glyphs.iter().map(move |g| g.adv + l.tc))
            .sum()
    }

    fn row_s(row: &[Line]) -> String {
        row.iter().map(s).collect()
    }

    #[test]
    fn a_form_line_shrinks_its_blanks_to_stay_whole() {
        // 12 units wide in a 10-unit line: 6 words, 6 blanks squeezed to 4 units.
        let rows = break_form_line(&g("已收签名＿＿＿＿　　年日"), F);
        assert_eq!(rows.len(), 1);
        assert_eq!(row_s(&rows[0]), "已收签名＿＿＿＿　　年日");
        assert!((row_w(&rows[0]) - 160.0).abs() < 0.01);
        let words: Vec<&Line> = rows[0]
            .iter()
            .filter(|l| !is_blank(l.glyphs[0].ch))
            .collect();
        assert!(words.iter().all(|l| l.tc == 0.0), "words keep the grid");
    }

    #[test]
    fn a_form_line_breaks_before_its_label_when_blanks_cannot_shrink_enough() {
        // 4 blanks cannot give up the 4 units needed: break after "。".
        let rows = break_form_line(&g("本单已收到。签名：＿＿＿＿年"), F);
        let text: Vec<String> = rows.iter().map(|r| row_s(r)).collect();
        assert_eq!(text, ["本单已收到。", "签名：＿＿＿＿年"]);
        // Without a sentence before the label, the blank starts the new line.
        let rows = break_form_line(&g("申请人签名签名：＿＿＿＿年"), F);
        let text: Vec<String> = rows.iter().map(|r| row_s(r)).collect();
        assert_eq!(text, ["申请人签名签名：", "＿＿＿＿年"]);
    }

    #[test]
    fn a_form_line_that_fits_or_has_no_blank_is_an_ordinary_line() {
        let rows = break_form_line(&g("签名：＿＿"), F);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), 1);
        let rows = break_form_line(&g("一二三四五六七八九十一二"), F);
        assert_eq!(rows.len(), 2);
    }
}
