//! Source stage: read CSV and workbooks into rows of cells that carry their provenance
//! (file, sheet, row as the user sees it, column letter).
