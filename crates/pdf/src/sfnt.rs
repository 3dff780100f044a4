//! Repackages one face of a font file (or `.ttc` collection) as a standalone
//! sfnt: for the PDF writer with a stub `cmap`, and for measuring with only
//! the metrics tables (so the multi-MB files need not stay in memory).
//!
//! Why: printpdf's subsetter walks every cmap mapping of the font and checks
//! each against the used-glyph list; for Noto CJK (~65k mappings) that alone
//! costs several ms per font per render. We pass glyph ids (measured with
//! ttf-parser on the original face) and Unicode text for /ToUnicode, so the
//! embedded program needs no real cmap. Glyph order and outlines are unchanged.

/// Tables the PDF program never needs (shaping and signatures).
const DROP: &[&[u8; 4]] = &[
    b"GSUB", b"GPOS", b"GDEF", b"BASE", b"JSTF", b"DSIG", b"MATH",
];

/// Tables ttf-parser needs for coverage and advance widths.
const METRICS: &[&[u8; 4]] = &[b"cmap", b"head", b"hhea", b"hmtx", b"maxp", b"OS/2"];

/// What to keep of a face.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Keep {
    /// Everything but shaping tables, cmap replaced by a stub mapping only
    /// the space to this glyph: the program embedded in the PDF.
    Program { space_gid: u16 },
    /// Only what measuring needs (a few MB instead of tens for CJK faces).
    Metrics,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |acc, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        acc.wrapping_add(u32::from_be_bytes(w))
    })
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

/// Face `index` of `data` (a single sfnt or a `ttcf` collection) as a
/// standalone sfnt with the tables `keep` selects. `None` if malformed.
pub(crate) fn standalone_face(data: &[u8], index: u32, keep: Keep) -> Option<Vec<u8>> {
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
    let version = u32_at(data, dir)?;
    let num_tables = u16_at(data, dir + 4)? as usize;
    // (tag, checksum, body): copied tables keep their recorded checksum.
    let mut tables: Vec<([u8; 4], u32, Vec<u8>)> = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let rec = dir + 12 + 16 * i;
        let tag: [u8; 4] = data.get(rec..rec + 4)?.try_into().ok()?;
        let sum = u32_at(data, rec + 4)?;
        let off = u32_at(data, rec + 8)? as usize;
        let len = u32_at(data, rec + 12)? as usize;
        let wanted = match keep {
            Keep::Program { .. } => !DROP.contains(&&tag),
            Keep::Metrics => METRICS.contains(&&tag),
        };
        if !wanted {
            continue;
        }
        if let (b"cmap", Keep::Program { space_gid }) = (&tag, keep) {
            let cmap = stub_cmap(space_gid);
            tables.push((tag, checksum(&cmap), cmap));
        } else {
            tables.push((tag, sum, data.get(off..off.checked_add(len)?)?.to_vec()));
        }
    }
    tables.sort_by_key(|a| a.0);

    let n = tables.len();
    let entry_selector = (usize::BITS - 1 - n.max(1).leading_zeros()) as u16;
    let search_range = (1u16 << entry_selector) * 16;
    let range_shift = (n as u16) * 16 - search_range;
    let mut out =
        Vec::with_capacity(12 + 16 * n + tables.iter().map(|t| t.2.len() + 3).sum::<usize>());
    out.extend(version.to_be_bytes());
    out.extend((n as u16).to_be_bytes());
    out.extend(search_range.to_be_bytes());
    out.extend(entry_selector.to_be_bytes());
    out.extend(range_shift.to_be_bytes());
    let mut offset = 12 + 16 * n;
    for (tag, sum, body) in &tables {
        out.extend(tag);
        out.extend(sum.to_be_bytes());
        out.extend((offset as u32).to_be_bytes());
        out.extend((body.len() as u32).to_be_bytes());
        offset += body.len().div_ceil(4) * 4;
    }
    for (_, _, body) in &tables {
        out.extend_from_slice(body);
        out.resize(out.len().div_ceil(4) * 4, 0);
    }
    Some(out)
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
    fn extracts_the_sc_face_of_the_noto_collection() {
        let data = std::fs::read(NOTO)
            .unwrap_or_else(|e| panic!("{NOTO}: {e} (install the Debian package fonts-noto-cjk)"));
        let orig = ttf_parser::Face::parse(&data, 2).unwrap();
        let space = orig.glyph_index(' ').unwrap().0;
        let face = standalone_face(&data, 2, Keep::Program { space_gid: space }).unwrap();
        assert_ne!(&face[..4], b"ttcf", "one face, not the collection");
        let f = ttf_parser::Face::parse(&face, 0).unwrap();
        assert_eq!(f.number_of_glyphs(), orig.number_of_glyphs());
        let name = |f: &ttf_parser::Face| {
            f.names()
                .into_iter()
                .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME && n.is_unicode())
                .and_then(|n| n.to_string())
        };
        assert_eq!(name(&f).as_deref(), Some("NotoSerifCJKsc-Regular"));
        // Same glyph ids, same advances; only the cmap is stubbed.
        let gid = orig.glyph_index('直').unwrap();
        assert_eq!(f.glyph_hor_advance(gid), orig.glyph_hor_advance(gid));
        assert_eq!(f.glyph_index('直'), None);
        assert_eq!(f.glyph_index(' ').map(|g| g.0), Some(space));
        // And printpdf accepts it.
        assert!(printpdf::ParsedFont::from_bytes(&face, 0, &mut Vec::new()).is_some());
        assert!(standalone_face(&data, 99, Keep::Metrics).is_none());

        // The metrics face measures exactly like the original.
        let m = standalone_face(&data, 2, Keep::Metrics).unwrap();
        assert!(m.len() < 4_000_000, "{} bytes", m.len());
        let mf = ttf_parser::Face::parse(&m, 0).unwrap();
        for ch in ['直', '骨', 'A', '1', '。', '\u{2003E}'] {
            let g = orig.glyph_index(ch);
            assert_eq!(mf.glyph_index(ch), g, "{ch}");
            let g = g.unwrap();
            assert_eq!(mf.glyph_hor_advance(g), orig.glyph_hor_advance(g));
        }
        assert_eq!(mf.units_per_em(), orig.units_per_em());
    }
}
