//! A spool of payslips on disk (one JSON object per line in an anonymous temporary file): the
//! fetch writes it while it learns the columns and groups, the writers read it back. Memory does
//! not grow with the number of payslips; a split export reads each group by remembered offsets.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

use serde_json::{Map, Value};

/// Payslips written to a temporary file, removed when dropped.
pub struct Spool {
    file: BufWriter<File>,
    offset: u64,
    count: usize,
}

impl Spool {
    /// A new spool in the system's temporary directory.
    pub fn new() -> io::Result<Self> {
        Ok(Spool {
            file: BufWriter::with_capacity(1 << 16, tempfile::tempfile()?),
            offset: 0,
            count: 0,
        })
    }

    /// Append one payslip; returns its offset, for [`SpoolReader::at`].
    pub fn push(&mut self, payslip: &Map<String, Value>) -> io::Result<u64> {
        let start = self.offset;
        let line = serde_json::to_vec(payslip).map_err(io::Error::other)?;
        self.file.write_all(&line)?;
        self.file.write_all(b"\n")?;
        self.offset += line.len() as u64 + 1;
        self.count += 1;
        Ok(start)
    }

    /// Payslips spooled so far.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Stop writing; read from here on.
    pub fn into_reader(self) -> io::Result<SpoolReader> {
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        Ok(SpoolReader {
            file: BufReader::with_capacity(1 << 16, file),
            position: None,
            line: String::new(),
        })
    }
}

/// Reads a finished [`Spool`].
pub struct SpoolReader {
    file: BufReader<File>,
    /// Where the reader stands, when known.
    position: Option<u64>,
    line: String,
}

impl SpoolReader {
    /// Every payslip, in the order spooled.
    pub fn all(&mut self) -> impl Iterator<Item = io::Result<Map<String, Value>>> + '_ {
        let rewound = self.seek(0);
        let mut failed = rewound.err();
        std::iter::from_fn(move || {
            if let Some(error) = failed.take() {
                return Some(Err(error));
            }
            self.next_record().transpose()
        })
    }

    /// The payslips at these offsets (as returned by [`Spool::push`]), in the order given.
    pub fn at<'a>(
        &'a mut self,
        offsets: &'a [u64],
    ) -> impl Iterator<Item = io::Result<Map<String, Value>>> + 'a {
        offsets.iter().map(move |&offset| {
            self.seek(offset)?;
            self.next_record()?.ok_or_else(|| {
                io::Error::new(io::ErrorKind::UnexpectedEof, "payslip spool ended early")
            })
        })
    }

    /// Move to `offset`, keeping the read buffer when the target is just ahead.
    fn seek(&mut self, offset: u64) -> io::Result<()> {
        match self.position {
            Some(here) if here == offset => {}
            Some(here) if offset > here && offset - here < (1 << 16) => {
                self.file.seek_relative((offset - here) as i64)?;
            }
            _ => {
                self.file.seek(SeekFrom::Start(offset))?;
            }
        }
        self.position = Some(offset);
        Ok(())
    }

    fn next_record(&mut self) -> io::Result<Option<Map<String, Value>>> {
        self.line.clear();
        let read = self.file.read_line(&mut self.line)?;
        if read == 0 {
            self.position = None;
            return Ok(None);
        }
        self.position = self.position.map(|p| p + read as u64);
        serde_json::from_str(self.line.trim_end())
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payslip(n: u64) -> Map<String, Value> {
        let value = json!({"id": format!("PL-{n}"), "note": "line\nbreak é", "n": n});
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn spooled_payslips_read_back_in_order_and_by_offset() {
        let mut spool = Spool::new().expect("spool");
        let offsets: Vec<u64> = (0..1000)
            .map(|n| spool.push(&payslip(n)).expect("push"))
            .collect();
        assert_eq!(spool.len(), 1000);
        let mut reader = spool.into_reader().expect("reader");

        let all: Vec<_> = reader.all().collect::<io::Result<_>>().expect("all");
        assert_eq!(all.len(), 1000);
        assert_eq!(all[999], payslip(999));

        let wanted = [
            offsets[3],
            offsets[500],
            offsets[501],
            offsets[999],
            offsets[0],
        ];
        let picked: Vec<_> = reader.at(&wanted).collect::<io::Result<_>>().expect("at");
        let ids: Vec<&Value> = picked.iter().filter_map(|p| p.get("id")).collect();
        assert_eq!(
            ids,
            [
                &json!("PL-3"),
                &json!("PL-500"),
                &json!("PL-501"),
                &json!("PL-999"),
                &json!("PL-0")
            ]
        );

        // Reading everything again after random access starts from the top.
        assert_eq!(reader.all().count(), 1000);
    }
}
