//! The spool's unit tests: order, bounds, restarts, damaged files.

use super::*;
use crate::sink::Severity;

fn line(n: usize) -> Line {
    Line {
        severity: Severity::Notice,
        bytes: format!("{{\"n\":{n}}}").into_bytes(),
    }
}

fn segments(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("segment-"))
        .collect();
    names.sort();
    names
}

/// Reads and commits everything, returning the lines.
fn drain(spool: &mut Spool) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let batch = spool.peek(3, 1 << 20).unwrap();
        let Some(last) = batch.last() else { break };
        for p in &batch {
            out.push(String::from_utf8(p.line.bytes.clone()).unwrap());
        }
        spool.commit(last).unwrap();
    }
    out
}

fn expected(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|n| format!("{{\"n\":{n}}}")).collect()
}

#[test]
fn rotates_segments_and_deletes_delivered_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), 1 << 20, 40).unwrap();
    assert!(spool.is_empty());
    for n in 0..10 {
        spool.append(&line(n)).unwrap();
    }
    // Records are 10 bytes ("5 {"n":0}\n"), four to a 40-byte segment.
    assert_eq!(segments(dir.path()).len(), 3);
    assert_eq!(spool.bytes(), 100);
    assert_eq!(drain(&mut spool), expected(0..10));
    assert!(spool.is_empty());
    assert!(segments(dir.path()).is_empty());
    assert_eq!(spool.bytes(), 0);
    // Appending after the spool emptied starts a fresh segment.
    spool.append(&line(10)).unwrap();
    assert_eq!(drain(&mut spool), expected(10..11));
}

#[test]
fn cursor_survives_a_crash_and_a_cut_record_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut spool = Spool::open(dir.path(), 1 << 20, 45).unwrap();
        for n in 0..12 {
            spool.append(&line(n)).unwrap();
        }
        let batch = spool.peek(5, 1 << 20).unwrap();
        assert_eq!(batch.len(), 4, "a peek stays within one segment");
        spool.commit(&batch[1]).unwrap();
        // Crash: dropping only syncs (and releases the lock, as the
        // kernel would for a dead process), so the files are as a
        // crash leaves them; then the last record is half written.
        drop(spool);
    }
    let last = segments(dir.path()).pop().unwrap();
    let mut file = OpenOptions::new()
        .append(true)
        .open(dir.path().join(&last))
        .unwrap();
    file.write_all(b"5 {\"n\":12,\"cut").unwrap();
    drop(file);

    let mut spool = Spool::open(dir.path(), 1 << 20, 45).unwrap();
    spool.append(&line(13)).unwrap();
    let mut want = expected(2..12);
    want.push("{\"n\":13}".into());
    assert_eq!(drain(&mut spool), want);
}

#[test]
fn a_missing_or_bad_cursor_means_resending_from_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut spool = Spool::open(dir.path(), 1 << 20, 1 << 20).unwrap();
        for n in 0..4 {
            spool.append(&line(n)).unwrap();
        }
        let batch = spool.peek(2, 1 << 20).unwrap();
        spool.commit(&batch[1]).unwrap();
    }
    // A cursor pointing into the middle of a record is not trusted.
    let cursor = fs::read_to_string(dir.path().join("cursor")).unwrap();
    let (seq, _) = cursor.trim_end().split_once(' ').unwrap();
    fs::write(dir.path().join("cursor"), format!("{seq} 3\n")).unwrap();
    let mut spool = Spool::open(dir.path(), 1 << 20, 1 << 20).unwrap();
    assert_eq!(drain(&mut spool), expected(0..4));
    for n in 4..6 {
        spool.append(&line(n)).unwrap();
    }
    drop(spool);
    // Nor is a cursor far beyond the segments (a damaged file).
    fs::write(dir.path().join("cursor"), "99999999999999999 0\n").unwrap();
    let mut spool = Spool::open(dir.path(), 1 << 20, 1 << 20).unwrap();
    assert_eq!(drain(&mut spool), expected(4..6));
    drop(spool);
    assert!(segments(dir.path()).is_empty());
}

#[test]
fn full_spool_refuses_and_keeps_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), 35, 20).unwrap();
    for n in 0..3 {
        spool.append(&line(n)).unwrap();
    }
    assert!(matches!(spool.append(&line(3)), Err(SpoolError::Full)));
    assert_eq!(drain(&mut spool), expected(0..3));
    spool.append(&line(4)).unwrap();
    assert_eq!(drain(&mut spool), expected(4..5));
}

#[test]
fn prepend_goes_before_the_undelivered_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), 1 << 20, 25).unwrap();
    for n in 10..16 {
        spool.append(&line(n)).unwrap();
    }
    let batch = spool.peek(1, 1 << 20).unwrap();
    spool.commit(&batch[0]).unwrap();
    let stored = spool.prepend(&[line(1), line(2)]).unwrap();
    assert_eq!(stored, 2);
    spool.append(&line(16)).unwrap();
    drop(spool);
    // The order holds across a restart too.
    let mut spool = Spool::open(dir.path(), 1 << 20, 25).unwrap();
    let mut want = expected(1..3);
    want.extend(expected(11..17));
    assert_eq!(drain(&mut spool), want);
    // Into an empty spool, prepending is appending.
    assert_eq!(spool.prepend(&[line(7)]).unwrap(), 1);
    assert_eq!(drain(&mut spool), expected(7..8));
}

#[test]
fn corrupt_records_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let name = segment_name(FIRST_SEQ);
    fs::write(
        dir.path().join(name),
        b"5 {\"n\":0}\ngarbage\n\0\0\0\n9 {\"bad\":1}\n5 {\"n\":1}\n",
    )
    .unwrap();
    let mut spool = Spool::open(dir.path(), 1 << 20, 1 << 20).unwrap();
    assert_eq!(drain(&mut spool), expected(0..2));
    assert_eq!(spool.corrupt, 3);
}

#[test]
fn a_second_user_of_the_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Spool::open(dir.path(), 1 << 20, 1 << 20).unwrap();
    let second = Spool::open(dir.path(), 1 << 20, 1 << 20);
    let message = second.err().unwrap().to_string();
    assert!(message.contains("in use"), "{message}");
}
