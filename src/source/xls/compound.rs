//! The compound document (OLE2 / CFB) around an `.xls` workbook stream, read the way calamine's
//! own reader (`calamine/src/cfb.rs`) reads it — same header fields, same DIFAT and FAT walk,
//! same directory lookup — so the stream checked here is the stream calamine will parse. Where
//! calamine would follow a chain forever (it stops only at the end-of-chain marker or at the
//! length it wants, growing a buffer all the way) this reader stops and says the file is damaged.

use super::{Damage, u16_at, u32_at};

const DIFSECT: u32 = 0xFFFF_FFFC;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const RESERVED: u32 = 0xFFFF_FFFA;
const SIGNATURE: [u8; 8] = *b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// Streams shorter than this live in the mini stream, in 64-byte sectors.
const MINI_CUTOFF: usize = 4096;

const LOOPS: Damage = Damage::Structure("one of its sector chains loops back on itself");
const PAST_END: Damage =
    Damage::Structure("one of its sector chains points past the end of the file");
const OUTSIDE_TABLE: Damage =
    Damage::Structure("one of its sector chains points outside the sector allocation table");
const TOO_MANY_FAT: Damage =
    Damage::Structure("its sector allocation table claims more sectors than the file holds");

/// A compound document's directory and allocation tables, over the file's bytes.
pub struct Compound<'a> {
    sectors: Sectors<'a>,
    fats: Vec<u32>,
    directory: Vec<Entry>,
    mini: Vec<u8>,
    mini_fats: Vec<u32>,
}

struct Entry {
    name: String,
    start: u32,
    len: usize,
}

impl<'a> Compound<'a> {
    /// Read the header, allocation tables, directory and mini stream. `Ok(None)` when the file
    /// is not a compound document calamine would open (it says why itself).
    pub fn parse(file: &'a [u8]) -> Result<Option<Self>, Damage> {
        if file.len() < 512 || file[..8] != SIGNATURE {
            return Ok(None);
        }
        let version = u16_at(file, 26);
        let size = match u16_at(file, 30) {
            0x0009 => 512,
            0x000C if file.len() >= 4096 => 4096,
            _ => return Ok(None),
        };
        if u16_at(file, 32) != 0x0006 {
            return Ok(None);
        }
        let dir_start = u32_at(file, 48);
        let mini_fat_start = u32_at(file, 60);
        let mini_fat_len = u32_at(file, 64) as usize;
        let difat_start = u32_at(file, 68);
        let sectors = Sectors {
            data: &file[size..],
            size,
        };
        let max_id = file.len() / size;

        // The DIFAT: 109 entries in the header, then a chain calamine bounds itself.
        let mut difat: Vec<u32> = le_u32s(&file[76..512]).collect();
        let mut id = difat_start;
        let mut difat_sectors = 0usize;
        while id < RESERVED {
            difat_sectors += 1;
            if difat_sectors > max_id + 1 {
                return Ok(None);
            }
            difat.extend(le_u32s(sectors.get(id)?));
            let Some(next) = difat.pop() else {
                return Ok(None);
            };
            id = next;
        }
        let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
        if fat_sectors.len() > max_id + 1 {
            return Err(TOO_MANY_FAT);
        }
        let mut fats = Vec::with_capacity(fat_sectors.len() * size / 4);
        for id in fat_sectors {
            fats.extend(le_u32s(sectors.get(id)?));
        }

        let directory: Vec<Entry> = sectors
            .chain(dir_start, &fats, usize::MAX)?
            .chunks_exact(128)
            .map(|entry| Entry::parse(entry, size))
            .collect();
        let Some(root) = directory.first() else {
            return Ok(None);
        };
        if version != 3 && root.start == ENDOFCHAIN {
            return Ok(None);
        }
        let (mini, mini_fats) = if mini_fat_len > 0 {
            let mini = sectors.chain(root.start, &fats, root.len)?;
            let table = sectors.chain(mini_fat_start, &fats, mini_fat_len * size)?;
            (mini, le_u32s(&table).collect())
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(Some(Compound {
            sectors,
            fats,
            directory,
            mini,
            mini_fats,
        }))
    }

    /// The first stream named `name` (ASCII case ignored, as calamine matches), if there is one.
    pub fn stream(&self, name: &str) -> Result<Option<Vec<u8>>, Damage> {
        let Some(entry) = self
            .directory
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
        else {
            return Ok(None);
        };
        let bytes = if entry.len < MINI_CUTOFF {
            let mini = Sectors {
                data: &self.mini,
                size: 64,
            };
            mini.chain(entry.start, &self.mini_fats, entry.len)?
        } else {
            self.sectors.chain(entry.start, &self.fats, entry.len)?
        };
        Ok(Some(bytes))
    }
}

impl Entry {
    fn parse(entry: &[u8], sector_size: usize) -> Self {
        let units: Vec<u16> = le_u16s(&entry[..64]).take_while(|u| *u != 0).collect();
        let len = if sector_size == 512 {
            u64::from(u32_at(entry, 120))
        } else {
            u64::from_le_bytes(entry[120..128].try_into().expect("8 bytes"))
        };
        Entry {
            name: String::from_utf16_lossy(&units),
            start: u32_at(entry, 116),
            len: usize::try_from(len).unwrap_or(usize::MAX),
        }
    }
}

/// The file's sectors (or the mini stream's) after the header.
struct Sectors<'a> {
    data: &'a [u8],
    size: usize,
}

impl Sectors<'_> {
    /// Sector `id`; the last one may be short, as calamine allows.
    fn get(&self, id: u32) -> Result<&[u8], Damage> {
        let start = id as usize * self.size;
        if start >= self.data.len() {
            return Err(PAST_END);
        }
        Ok(&self.data[start..(start + self.size).min(self.data.len())])
    }

    /// Up to `len` bytes of the chain starting at `start`, refusing a chain that revisits a
    /// sector — calamine would follow it until `len` bytes (up to `usize::MAX`) are gathered.
    fn chain(&self, start: u32, table: &[u32], len: usize) -> Result<Vec<u8>, Damage> {
        let mut visited = vec![false; table.len()];
        let mut out = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN {
            let sector = self.get(id)?;
            let take = sector.len().min(len - out.len());
            out.extend_from_slice(&sector[..take]);
            if out.len() >= len {
                break;
            }
            let at = id as usize;
            let Some(&next) = table.get(at) else {
                return Err(OUTSIDE_TABLE);
            };
            if std::mem::replace(&mut visited[at], true) {
                return Err(LOOPS);
            }
            id = next;
        }
        Ok(out)
    }
}

fn le_u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.chunks_exact(4).map(|b| u32_at(b, 0))
}

fn le_u16s(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes.chunks_exact(2).map(|b| u16_at(b, 0))
}
