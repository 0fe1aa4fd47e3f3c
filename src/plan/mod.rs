//! Plan stage: resolve spreadsheet keys to API ids, order work by dependency and decide per
//! record: create, update, unchanged or blocked.
