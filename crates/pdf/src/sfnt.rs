//! Reads one face of a memory-mapped font file (or `.ttc` collection) in
//! place: the tables ttf-parser measures with, and the tables the PDF
//! program is subset from, each borrowed from the mapping — nothing is
//! copied, and only the pages a table lookup touches are ever read.
//!
//! Why the program's cmap is a stub: the subsetter walks every cmap mapping
//! of the font and checks each against the used-glyph list; for Noto CJK
//! (~65k mappings) that alone costs several ms per font per render. We pass
//! glyph ids (measured with ttf-parser on the original face) and Unicode
//! text for /ToUnicode, so the embedded program needs no real cmap. Glyph
//! outlines are unchanged.

use std::borrow::Cow;

/// Tables the PDF program never needs (shaping and signatures).
const DROP: &[&[u8; 4]] = &[
    b"GSUB", b"GPOS", b"GDEF", b"BASE", b"JSTF", b"DSIG", b"MATH",
];

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A format-4 cmap mapping only U+0020 to `space_gid` (a cmap must exist and
/// must not be empty for some parsers).
fn stub_cmap(space_gid: u16) -> Vec<u8> {
    let mut v = Vec::with_capacity(44);
    // cmap header: version 0, one encoding record (Windows, Unicode BMP) at offset 12.
    for x in [0u16, 1, 3, 1] {
        v.extend(x.to_be_bytes());
    }
    v.extend(12u32.to_be_bytes());
    // Two segments: [0x20, 0x20] and the mandatory [0xFFFF, 0xFFFF].
    let delta = space_gid.wrapping_sub(0x20);
    for x in [
        4u16, 32, 0, // format, length, language
        4, 4, 1, 0, // segCountX2, searchRange, entrySelector, rangeShift
        0x20, 0xFFFF, // endCode
        0,      // reservedPad
        0x20, 0xFFFF, // startCode
        delta, 1, // idDelta
        0, 0, // idRangeOffset
    ] {
        v.extend(x.to_be_bytes());
    }
    v
}

/// The table directory of face `index` of `data` (a single sfnt or a `ttcf`
/// collection): each table's tag and bytes, borrowed. `None` if malformed.
pub(crate) fn face_tables(data: &[u8], index: u32) -> Option<Vec<([u8; 4], &[u8])>> {
    let dir = if data.get(..4) == Some(b"ttcf".as_slice()) {
        let n = u32_at(data, 8)?;
        if index >= n {
            return None;
        }
        u32_at(data, 12 + 4 * index as usize)? as usize
    } else if index == 0 {
        0
    } else {
        return None;
    };
    let num_tables = u16_at(data, dir + 4)? as usize;
    let mut tables = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let rec = dir + 12 + 16 * i;
        let tag: [u8; 4] = data.get(rec..rec + 4)?.try_into().ok()?;
        let off = u32_at(data, rec + 8)? as usize;
        let len = u32_at(data, rec + 12)? as usize;
        tables.push((tag, data.get(off..off.checked_add(len)?)?));
    }
    Some(tables)
}

/// The face for coverage and advance widths: only cmap, head, hhea, hmtx,
/// maxp and OS/2, read in place (ttf-parser parses nothing else of it).
pub(crate) fn metrics_face(data: &[u8], index: u32) -> Option<ttf_parser::Face<'_>> {
    let tables = face_tables(data, index)?;
    let get = |tag: &[u8; 4]| tables.iter().find(|t| &t.0 == tag).map(|t| t.1);
    let raw = ttf_parser::RawFaceTables {
        head: get(b"head")?,
        hhea: get(b"hhea")?,
        maxp: get(b"maxp")?,
        cmap: get(b"cmap"),
        hmtx: get(b"hmtx"),
        os2: get(b"OS/2"),
        ..Default::default()
    };
    ttf_parser::Face::from_raw_tables(raw).ok()
}

/// One face as the subsetter reads it: every table but the shaping ones,
/// borrowed from the file, with the stub cmap in place of the real one.
pub(crate) struct ProgramTables<'a> {
    tables: Vec<(u32, &'a [u8])>,
    cmap: Vec<u8>,
}

impl<'a> ProgramTables<'a> {
    pub(crate) fn new(data: &'a [u8], index: u32, space_gid: u16) -> Option<ProgramTables<'a>> {
        let mut tables: Vec<(u32, &[u8])> = face_tables(data, index)?
            .into_iter()
            .filter(|(tag, _)| !DROP.contains(&tag))
            .map(|(tag, body)| (u32::from_be_bytes(tag), body))
            .collect();
        // Table order decides nothing in the subset, but keep it canonical.
        tables.sort_by_key(|t| t.0);
        Some(ProgramTables {
            tables,
            cmap: stub_cmap(space_gid),
        })
    }
}

impl allsorts::tables::FontTableProvider for ProgramTables<'_> {
    fn table_data(&self, tag: u32) -> Result<Option<Cow<'_, [u8]>>, allsorts::error::ParseError> {
        if tag == allsorts::tag::CMAP {
            return Ok(Some(Cow::Borrowed(&self.cmap)));
        }
        Ok(self
            .tables
            .iter()
            .find(|t| t.0 == tag)
            .map(|t| Cow::Borrowed(t.1)))
    }

    fn has_table(&self, tag: u32) -> bool {
        tag == allsorts::tag::CMAP || self.tables.iter().any(|t| t.0 == tag)
    }

    fn table_tags(&self) -> Option<Vec<u32>> {
        let mut tags: Vec<u32> = self.tables.iter().map(|t| t.0).collect();
        if !tags.contains(&allsorts::tag::CMAP) {
            tags.push(allsorts::tag::CMAP);
            tags.sort_unstable();
        }
        Some(tags)
    }
}

/// The PDF program of just `gids` of the face: glyph 0 (.notdef) first, then
/// `gids` in ascending order, renumbered by position (a composite glyph's
/// components come after them). Returns the program and, for each glyph of
/// `gids`, its new id. `None` if the face cannot be subset.
pub(crate) fn subset_program(
    tables: &ProgramTables<'_>,
    gids: &std::collections::BTreeSet<u16>,
) -> Option<(Vec<u8>, std::collections::BTreeMap<u16, u16>)> {
    let ids: Vec<u16> = std::iter::once(0)
        .chain(gids.iter().copied().filter(|&g| g != 0))
        .collect();
    // printpdf's own PDF profile plus OS/2: printpdf reads the weight class
    // from it for the descriptor's /StemV, and drops the table itself when it
    // subsets this program again for embedding.
    use allsorts::tag;
    let profile = allsorts::subset::SubsetProfile::Custom(vec![
        tag::CMAP,
        tag::HEAD,
        tag::CVT,
        tag::FPGM,
        tag::HHEA,
        tag::HMTX,
        tag::MAXP,
        tag::NAME,
        tag::POST,
        tag::PREP,
        tag::OS_2,
    ]);
    let bytes = allsorts::subset::subset(
        tables,
        &ids,
        &profile,
        allsorts::subset::CmapTarget::Unicode,
    )
    .ok()?;
    let mut map = std::collections::BTreeMap::new();
    for (new, &old) in ids.iter().enumerate() {
        map.insert(old, u16::try_from(new).ok()?);
    }
    Some((bytes, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTO: &str = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc";

    #[test]
    fn stub_cmap_maps_only_space() {
        let sfnt_cmap = stub_cmap(3);
        let table = ttf_parser::cmap::Table::parse(&sfnt_cmap).unwrap();
        let sub = table.subtables.into_iter().next().unwrap();
        assert_eq!(sub.glyph_index(0x20), Some(ttf_parser::GlyphId(3)));
        assert_eq!(sub.glyph_index(0x41), None);
        assert_eq!(sub.glyph_index(0x4E00), None);
    }

    #[test]
    fn reads_the_sc_face_of_the_noto_collection_in_place() {
        let data = std::fs::read(NOTO)
            .unwrap_or_else(|e| panic!("{NOTO}: {e} (install the Debian package fonts-noto-cjk)"));
        let orig = ttf_parser::Face::parse(&data, 2).unwrap();
        assert!(metrics_face(&data, 99).is_none());

        // The metrics face measures exactly like the original.
        let mf = metrics_face(&data, 2).unwrap();
        for ch in ['直', '骨', 'A', '1', '。', '\u{2003E}'] {
            let g = orig.glyph_index(ch);
            assert_eq!(mf.glyph_index(ch), g, "{ch}");
            let g = g.unwrap();
            assert_eq!(mf.glyph_hor_advance(g), orig.glyph_hor_advance(g));
        }
        assert_eq!(mf.units_per_em(), orig.units_per_em());

        // The program of three glyphs: .notdef first, the rest by old id.
        let space = orig.glyph_index(' ').unwrap().0;
        let tables = ProgramTables::new(&data, 2, space).unwrap();
        let gids: std::collections::BTreeSet<u16> = ['直', '骨', 'A']
            .iter()
            .map(|&c| orig.glyph_index(c).unwrap().0)
            .collect();
        let (program, map) = subset_program(&tables, &gids).unwrap();
        // Three glyphs and the CFF's shared subroutines, not the 26 MB collection.
        assert!(program.len() < 100_000, "{} bytes", program.len());
        let f = ttf_parser::Face::parse(&program, 0).unwrap();
        assert_eq!(f.number_of_glyphs(), 4);
        let mut sorted: Vec<u16> = gids.iter().copied().collect();
        sorted.sort_unstable();
        for (i, old) in sorted.iter().enumerate() {
            assert_eq!(map[old], i as u16 + 1);
            let (o, n) = (ttf_parser::GlyphId(*old), ttf_parser::GlyphId(map[old]));
            assert_eq!(f.glyph_hor_advance(n), orig.glyph_hor_advance(o));
        }
        let name = |f: &ttf_parser::Face| {
            f.names()
                .into_iter()
                .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME && n.is_unicode())
                .and_then(|n| n.to_string())
        };
        assert_eq!(name(&f), name(&orig));
        // And printpdf accepts it.
        assert!(printpdf::ParsedFont::from_bytes(&program, 0, &mut Vec::new()).is_some());
    }
}
