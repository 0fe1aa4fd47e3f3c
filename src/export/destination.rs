//! Where an export goes (one file, or a folder of files with `--split-by`) and writing it:
//! every file is written to a temporary file beside it and renamed into place, so a failed
//! export never leaves half a workbook where the last good one was.

use std::ffi::OsStr;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use thiserror::Error;

use super::WriteError;
use super::collect::Collected;
use super::columns::Column;
use super::csv::write_csv;
use super::split::SplitBy;
use super::xlsx::{About, write_workbook};
use crate::writing::{Fuse, folder_of, put_in_place, temp_file_in};

/// How an export's temporary files begin.
const TEMP_PREFIX: &str = ".nxsys-export-";

/// The kind of file written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    /// CSV, with a UTF-8 byte-order mark for Excel when `bom`.
    Csv {
        bom: bool,
    },
}

impl Format {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv { .. } => "csv",
        }
    }
}

/// Where an export goes (its format, the file or folder, the split), checked before anything
/// is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub format: Format,
    /// The file, or with `split_by` the folder.
    pub path: PathBuf,
    pub split_by: Option<SplitBy>,
}

/// Why the destination cannot be written: the user picks another place.
#[derive(Debug, Error)]
pub enum DestinationError {
    #[error("-o {}: name a .xlsx or .csv file", path.display())]
    Extension { path: PathBuf },
    #[error("-o {}: --excel-csv is for CSV output; name a .csv file or drop --excel-csv", path.display())]
    ExcelCsvWithXlsx { path: PathBuf },
    #[error(
        "-o {}: with --split-by, -o names a folder (e.g. -o payslips-by-worker); the files in it \
         are .xlsx, or .csv with --excel-csv", path.display()
    )]
    SplitNeedsFolder { path: PathBuf },
    #[error(
        "-o {}: the folder is not empty; choose a new or empty folder so files from an earlier \
         export cannot be mistaken for this one", path.display()
    )]
    FolderNotEmpty { path: PathBuf },
    #[error("-o {}: the folder {} does not exist; create it first", path.display(), folder.display())]
    NoFolder { path: PathBuf, folder: PathBuf },
    #[error("cannot write {}: {source}; check there is room on the disk and the folder is writable, or choose another -o", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}; check there is room on the disk and the folder is writable, or choose another -o", path.display())]
    Write { path: PathBuf, source: WriteError },
}

impl Destination {
    /// Decide the format from `-o`'s extension (`--excel-csv` for a BOM) or, with `split_by`,
    /// treat `-o` as a folder of xlsx files (CSV with `--excel-csv`).
    pub fn new(
        output: &Path,
        excel_csv: bool,
        split_by: Option<SplitBy>,
    ) -> Result<Self, DestinationError> {
        let extension = output
            .extension()
            .and_then(OsStr::to_str)
            .map(str::to_ascii_lowercase);
        let path = output.to_path_buf();
        let format = match (split_by, extension.as_deref()) {
            (Some(_), Some("xlsx" | "csv")) => {
                return Err(DestinationError::SplitNeedsFolder { path });
            }
            (Some(_), _) if excel_csv => Format::Csv { bom: true },
            (Some(_), _) => Format::Xlsx,
            (None, Some("xlsx")) if excel_csv => {
                return Err(DestinationError::ExcelCsvWithXlsx { path });
            }
            (None, Some("xlsx")) => Format::Xlsx,
            (None, Some("csv")) => Format::Csv { bom: excel_csv },
            (None, _) => return Err(DestinationError::Extension { path }),
        };
        Ok(Destination {
            format,
            path,
            split_by,
        })
    }

    /// Check the output can be written, before spending time fetching: the file's folder exists
    /// and takes a new file; a split folder is created if missing and must be empty.
    pub fn prepare(&self) -> Result<(), DestinationError> {
        let io_error = |source| DestinationError::Io {
            path: self.path.clone(),
            source,
        };
        if self.split_by.is_some() {
            std::fs::create_dir_all(&self.path).map_err(io_error)?;
            let mut entries = std::fs::read_dir(&self.path).map_err(io_error)?;
            if entries.next().is_some() {
                return Err(DestinationError::FolderNotEmpty {
                    path: self.path.clone(),
                });
            }
            temp_file_in(&self.path, TEMP_PREFIX).map_err(io_error)?;
        } else {
            let folder = folder_of(&self.path);
            if !folder.is_dir() {
                return Err(DestinationError::NoFolder {
                    path: self.path.clone(),
                    folder: folder.to_path_buf(),
                });
            }
            temp_file_in(folder, TEMP_PREFIX).map_err(io_error)?;
        }
        Ok(())
    }
}

/// Write the collected payslips to `destination`. Returns the files written, in order.
pub fn write_outputs(
    collected: Collected,
    destination: &Destination,
    about: &About,
    mut on_row: impl FnMut(),
) -> Result<Vec<PathBuf>, DestinationError> {
    let Collected {
        mut reader,
        columns,
        groups,
        ..
    } = collected;
    let Some(groups) = groups else {
        write_file(
            &destination.path,
            destination.format,
            &columns,
            reader.all(),
            about,
            &mut on_row,
        )?;
        return Ok(vec![destination.path.clone()]);
    };
    let by = match destination.split_by {
        Some(SplitBy::Period) => "tax period",
        _ => "worker",
    };
    let mut files = Vec::with_capacity(groups.len());
    for group in groups {
        let path =
            destination
                .path
                .join(format!("{}.{}", group.stem, destination.format.extension()));
        let mut about = about.clone();
        about
            .filters
            .push((format!("Split by {by}"), group.stem.clone()));
        write_file(
            &path,
            destination.format,
            &columns,
            reader.at(&group.offsets),
            &about,
            &mut on_row,
        )?;
        files.push(path);
    }
    Ok(files)
}

fn write_file(
    path: &Path,
    format: Format,
    columns: &[Column],
    rows: impl Iterator<Item = io::Result<Map<String, Value>>>,
    about: &About,
    on_row: &mut impl FnMut(),
) -> Result<(), DestinationError> {
    let io_error = |source| DestinationError::Io {
        path: path.to_path_buf(),
        source,
    };
    let write_error = |source| DestinationError::Write {
        path: path.to_path_buf(),
        source,
    };
    let temp = temp_file_in(folder_of(path), TEMP_PREFIX).map_err(io_error)?;
    // Behind a fuse: after a failed write (a full disk) the workbook's ZIP writer, dropped, tries
    // to finish the archive again, and when that fails too the zip crate prints a debug dump to
    // stderr; the fuse lets it finish into nothing, and the one error below says what happened.
    let mut out = Fuse::new(BufWriter::with_capacity(1 << 16, temp));
    match format {
        Format::Xlsx => {
            let report =
                write_workbook(&mut out, columns, rows, about, on_row).map_err(write_error)?;
            if report.summary.unreadable > 0 {
                tracing::warn!(
                    "{}: {} money value(s) could not be read as amounts; they are written as \
                     text and left out of the totals (see the Summary sheet)",
                    path.display(),
                    report.summary.unreadable
                );
            }
            if report.cut_texts > 0 {
                tracing::warn!(
                    "{}: {} text value(s) were cut to Excel's 32,767-character limit; export \
                     to CSV for the full text",
                    path.display(),
                    report.cut_texts
                );
            }
        }
        Format::Csv { bom } => write_csv(&mut out, columns, rows, bom, on_row)
            .map(drop)
            .map_err(write_error)?,
    }
    out.flush().map_err(io_error)?;
    let out = out.into_inner().map_err(io_error)?;
    let temp = out.into_inner().map_err(|e| io_error(e.into_error()))?;
    put_in_place(temp, path).map_err(io_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(output: &str, excel_csv: bool, split: Option<SplitBy>) -> Result<Format, String> {
        Destination::new(Path::new(output), excel_csv, split)
            .map(|p| p.format)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_format_follows_the_file_name() {
        assert_eq!(format("a.xlsx", false, None), Ok(Format::Xlsx));
        assert_eq!(format("a.XLSX", false, None), Ok(Format::Xlsx));
        assert_eq!(format("a.csv", false, None), Ok(Format::Csv { bom: false }));
        assert_eq!(format("a.csv", true, None), Ok(Format::Csv { bom: true }));
        assert!(format("a.xls", false, None).is_err_and(|e| e.contains(".xlsx or .csv")));
        assert!(format("a.xlsx", true, None).is_err_and(|e| e.contains("--excel-csv")));
    }

    #[test]
    fn a_split_export_writes_to_a_folder() {
        let split = Some(SplitBy::Worker);
        assert_eq!(format("out", false, split), Ok(Format::Xlsx));
        assert_eq!(format("out", true, split), Ok(Format::Csv { bom: true }));
        assert!(format("out.xlsx", false, split).is_err_and(|e| e.contains("names a folder")));
    }

    #[test]
    fn prepare_refuses_missing_folders_and_non_empty_split_folders() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing =
            Destination::new(&dir.path().join("nope/a.xlsx"), false, None).expect("destination");
        assert!(matches!(
            missing.prepare(),
            Err(DestinationError::NoFolder { .. })
        ));

        let split_dir = dir.path().join("split");
        let split =
            Destination::new(&split_dir, false, Some(SplitBy::Period)).expect("destination");
        split.prepare().expect("a new folder is created");
        assert!(split_dir.is_dir());
        std::fs::write(split_dir.join("old.xlsx"), b"x").expect("write");
        assert!(matches!(
            split.prepare(),
            Err(DestinationError::FolderNotEmpty { .. })
        ));
    }
}
