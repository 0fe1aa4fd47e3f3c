//! The fix file: the user's failing rows in their own columns, an error column added and the bad cells highlighted; re-importable as is.
