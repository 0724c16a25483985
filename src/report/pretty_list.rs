//! Pretty JSON with one long list rendered in parallel. A report whose
//! drift lists 100,000 spans is 60 MB of JSON; serialising it is most of
//! the time it takes to write, and the entries are independent. The report
//! is serialised with the list left empty, the entries on all cores (each
//! in the indentation it has in place), and the pieces are written in
//! order — byte for byte what one pretty serialisation writes.

use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, Write};

/// Entries rendered together, on one core.
const CHUNK: usize = 2048;

/// Writes `report` pretty-printed, with `items`, each as `entry` makes it,
/// as the value of its top-level key `key`, which `report` itself must
/// serialise as `[]`. `None` when that empty list is not where it should
/// be (nothing written). Entries are made as they are written: the list
/// is never held whole in its JSON form.
pub fn write<'a, R: Serialize, T: Sync, E: Serialize>(
    out: &mut impl Write,
    report: &R,
    key: &str,
    items: &'a [T],
    entry: impl Fn(&'a T) -> E + Sync,
) -> io::Result<Option<()>> {
    let text = super::json::to_vec_pretty(report)?;
    // A top-level key is the only thing after a line break and exactly two
    // spaces (strings cannot hold a raw line break).
    let empty = format!("\n  \"{key}\": []");
    let Some(at) = memchr::memmem::find(&text, empty.as_bytes()) else {
        return Ok(None);
    };
    let list_start = at + empty.len() - 2;
    out.write_all(&text[..list_start])?;
    if items.is_empty() {
        out.write_all(b"[]")?;
    } else {
        // A few chunks at a time, in buffers used again and again: the
        // whole list is never held at once.
        let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); 2 * rayon::current_num_threads()];
        out.write_all(b"[")?;
        for (w, window) in items.chunks(CHUNK * buffers.len()).enumerate() {
            let rendered: Vec<io::Result<()>> = buffers
                .par_iter_mut()
                .zip(window.par_chunks(CHUNK))
                .map(|(buf, chunk)| {
                    buf.clear();
                    let mut rendered = Vec::new();
                    for item in chunk {
                        buf.extend_from_slice(b",\n    ");
                        // An entry of a list that is the value of a
                        // top-level key stands two levels in.
                        rendered.clear();
                        super::json::to_writer_pretty(&mut rendered, &entry(item))?;
                        indent(buf, &rendered);
                    }
                    Ok(())
                })
                .collect();
            for (c, (buf, done)) in buffers.iter().zip(rendered).enumerate() {
                done?;
                // Every entry but the very first follows a comma.
                let first = w == 0 && c == 0;
                out.write_all(if first { &buf[1..] } else { buf })?;
            }
        }
        out.write_all(b"\n  ]")?;
    }
    out.write_all(&text[list_start + 2..])?;
    Ok(Some(()))
}

/// Appends `entry` with two levels of indentation (four spaces) more
/// after every line break: the pretty printer indents only there.
fn indent(buf: &mut Vec<u8>, entry: &[u8]) {
    let mut from = 0;
    for newline in memchr::memchr_iter(b'\n', entry) {
        buf.extend_from_slice(&entry[from..=newline]);
        buf.extend_from_slice(b"    ");
        from = newline + 1;
    }
    buf.extend_from_slice(&entry[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Report<'a> {
        a: u32,
        list: &'a [Item],
        z: Vec<&'a str>,
    }

    #[derive(Serialize)]
    struct Item {
        name: String,
        inner: Vec<Option<f64>>,
        empty: Vec<u8>,
    }

    #[test]
    fn writes_what_one_pretty_serialisation_writes() {
        for n in [0, 1, 2, CHUNK, 2 * CHUNK + 3] {
            let items: Vec<Item> = (0..n)
                .map(|i| Item {
                    name: format!("item \"{i}\"\n  \"list\": []"),
                    inner: vec![Some(i as f64 / 3.0), None],
                    empty: Vec::new(),
                })
                .collect();
            let whole = Report {
                a: 1,
                list: &items,
                z: vec!["x", "\n  \"list\": []"],
            };
            let expected = serde_json::to_vec_pretty(&whole).unwrap();
            let mut out = Vec::new();
            let without = Report { list: &[], ..whole };
            assert_eq!(
                write(&mut out, &without, "list", &items, |item| item).unwrap(),
                Some(())
            );
            assert_eq!(
                String::from_utf8(out).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }
}
