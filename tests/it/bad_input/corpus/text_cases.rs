//! CSV and other text files: empty, encodings, ragged rows, bad values of every kind.

use super::*;

pub fn text_cases() -> Vec<Case> {
    vec![
        Case {
            name: "empty.csv",
            exit: 1,
            needles: &["no rows"],
            big: false,
            make: Vec::new,
        },
        Case {
            name: "blank-lines-only.csv",
            exit: 1,
            needles: &["no rows"],
            big: false,
            make: || b"\n\r\n   \n\t\n".to_vec(),
        },
        Case {
            name: "bom-only.csv",
            exit: 1,
            needles: &["no rows"],
            big: false,
            make: || vec![0xEF, 0xBB, 0xBF],
        },
        Case {
            name: "header-only-candidates.csv",
            exit: 1,
            needles: &["no rows"],
            big: false,
            make: || csv_line(&HEADER).into_bytes(),
        },
        Case {
            name: "only-delimiters.csv",
            exit: 1,
            needles: &["cannot tell", "row 2"],
            big: false,
            make: || b",,,,\n;;;;\n,,,,\n".to_vec(),
        },
        Case {
            name: "ragged-rows-candidates.csv",
            exit: 1,
            needles: &["row 3", "row 4"],
            big: false,
            make: || {
                let mut out = candidates_csv(&[&[]]);
                out.extend_from_slice(b"AG-002,Ms,Ann\n");
                out.extend_from_slice(
                    csv_line(&[&GOOD[..], &["extra", "more", "even more"]].concat()).as_bytes(),
                );
                out
            },
        },
        Case {
            name: "nul-bytes-candidates.csv",
            exit: 1,
            needles: &["row 2", "column F"],
            big: false,
            make: || candidates_csv(&[&[(2, "Mi\0chael"), (5, "JG10\x003759A")]]),
        },
        Case {
            name: "utf16le-bom-candidates.csv",
            exit: 2,
            needles: &["UTF-16", "CSV UTF-8"],
            big: false,
            make: || {
                utf16(
                    &String::from_utf8_lossy(&candidates_csv(&[&[]])),
                    true,
                    true,
                )
            },
        },
        Case {
            name: "utf16be-bom-candidates.csv",
            exit: 2,
            needles: &["UTF-16"],
            big: false,
            make: || {
                utf16(
                    &String::from_utf8_lossy(&candidates_csv(&[&[]])),
                    false,
                    true,
                )
            },
        },
        Case {
            name: "utf16le-no-bom-candidates.csv",
            exit: 2,
            needles: &["UTF-16"],
            big: false,
            make: || {
                utf16(
                    &String::from_utf8_lossy(&candidates_csv(&[&[]])),
                    true,
                    false,
                )
            },
        },
        Case {
            name: "mixed-encoding-candidates.csv",
            exit: 1,
            needles: &["row 3", "Windows-1252", "column F"],
            big: false,
            make: || {
                let mut out = candidates_csv(&[&[(2, "Zoë")]]);
                // A second row pasted from a Windows-1252 file, with a bad NI number.
                out.extend_from_slice(b"AG-002,Ms,Zo\xEB,Br\xFBl\xE9,1990-05-15,QQ12345,1 High St,London,SW1A 1AA,z@example.com,Weekly,PAYE\n");
                out
            },
        },
        Case {
            name: "windows-1252-candidates.csv",
            exit: 1,
            needles: &["Windows-1252", "row 2", "column E"],
            big: false,
            make: || {
                b"Agency Ref,Title,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model\n\
AG-001,Mr,Ren\xE9,M\xFCller,31/02/1990,JG103759A,1 Rue \xA3,London,SW1A 1AA,r@example.com,Weekly,PAYE\n"
                    .to_vec()
            },
        },
        Case {
            name: "duplicate-headers-candidates.csv",
            exit: 1,
            needles: &["row 1", "column M", "same as column C"],
            big: false,
            make: || {
                let mut out = String::from(
                    "Agency Ref,Title,Forename,Surname,Date of Birth,NI Number,Address Line 1,City,Postcode,Email,Pay Frequency,Payment Model,First Name\n",
                );
                out.push_str(&csv_line(&[&GOOD[..], &["Mike"]].concat()));
                out.into_bytes()
            },
        },
        Case {
            name: "unknown-headers-only.csv",
            exit: 1,
            needles: &["cannot tell", "--entity"],
            big: false,
            make: || b"Colour,Shape,Flavour\nred,round,sweet\n".to_vec(),
        },
        Case {
            name: "missing-required-headers-candidates.csv",
            exit: 1,
            needles: &["NI Number", "missing"],
            big: false,
            make: || b"Agency Ref,Forename,Surname\nAG-001,Ann,Smith\n".to_vec(),
        },
        Case {
            name: "dates-dozen-formats-candidates.csv",
            exit: 1,
            needles: &["row 6, column E", "row 10, column E", "row 13, column E"],
            big: false,
            make: || {
                candidates_csv(&[
                    &[(4, "1990-05-15")],
                    &[(4, "15/05/1990")],
                    &[(4, "15-05-1990")],
                    &[(4, "15.05.1990")],
                    &[(4, "05/15/1990")],
                    &[(4, "1990/05/15")],
                    &[(4, "15 May 1990")],
                    &[(4, "May 15, 1990")],
                    &[(4, "32/01/1990")],
                    &[(4, "33000")],
                    &[(4, "1990-05-15T00:00:00")],
                    &[(4, "yesterday")],
                    &[(4, "15/05/90")],
                    &[(4, "1990")],
                ])
            },
        },
        Case {
            name: "money-formats-timesheets.csv",
            exit: 1,
            needles: &["row 7, column E", "row 8, column E", "row 11, column E"],
            big: false,
            make: || {
                let mut out = String::from(TIMESHEET_HEADER);
                for (i, rate) in [
                    "£15.50",
                    "\"1,234.50\"",
                    "€15.50",
                    "GBP 15.50",
                    "(15.50)",
                    "15.5.0",
                    "$15.50",
                    "1.5e3",
                    "15.505",
                    "\"£1,5,0\"",
                ]
                .iter()
                .enumerate()
                {
                    out.push_str(&format!("AG-001,2025,{},PR200,{rate},1,S\n", i + 1));
                }
                out.into_bytes()
            },
        },
        Case {
            name: "lost-leading-zeros-candidates.csv",
            exit: 1,
            needles: &["row 2, column M", "row 3, column N"],
            big: false,
            make: || {
                let mut out = String::new();
                out.push_str(&csv_line(
                    &[&HEADER[..], &["Sort Code", "Account Number"]].concat(),
                ));
                out.push_str(&csv_line(&[&GOOD[..], &["60613", "31926819"]].concat()));
                out.push_str(
                    &csv_line(&[&GOOD[..], &["601613", "3.19268E+7"]].concat())
                        .replace("AG-001", "AG-002"),
                );
                out.into_bytes()
            },
        },
        Case {
            name: "two-hundred-columns-candidates.csv",
            exit: 1,
            needles: &["row 2, column F", "column GR"],
            big: false,
            make: || {
                let extra: Vec<String> = (0..188).map(|i| format!("Extra {i}")).collect();
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                let mut out = csv_line(&[&HEADER[..], &extra].concat());
                let mut row: Vec<&str> = GOOD.to_vec();
                row[5] = "not an NI number";
                out.push_str(&csv_line(&[&row[..], &extra].concat()));
                out.into_bytes()
            },
        },
        Case {
            name: "unterminated-quote-candidates.csv",
            exit: 1,
            needles: &["row 2"],
            big: false,
            make: || {
                let mut out = csv_line(&HEADER).into_bytes();
                out.extend_from_slice(b"AG-001,Mr,\"Michael,Smith,1990-05-15,QQ123456C\n");
                out
            },
        },
        Case {
            name: "bad-identifiers-candidates.csv",
            exit: 1,
            needles: &["row 2, column F", "row 3, column I", "row 4, column J"],
            big: false,
            make: || {
                candidates_csv(&[
                    &[(5, "QQ 12 34 56")],
                    &[(8, "NOT A POSTCODE")],
                    &[(9, "someone@")],
                ])
            },
        },
        Case {
            name: "formula-injection-candidates.csv",
            exit: 1,
            needles: &["row 6, column F"],
            big: false,
            make: || {
                candidates_csv(&[
                    &[(2, "=HYPERLINK(\"http://evil.example\",\"x\")")],
                    &[(3, "+SUM(1,2)")],
                    &[(6, "-1+2")],
                    &[(7, "@cmd")],
                    &[(5, "=1+1")],
                ])
            },
        },
        Case {
            name: "cr-only-line-endings-candidates.csv",
            exit: 1,
            needles: &["row 2, column F"],
            big: false,
            make: || {
                String::from_utf8_lossy(&candidates_csv(&[&[(5, "XX")]]))
                    .replace('\n', "\r")
                    .into_bytes()
            },
        },
        Case {
            name: "binary-noise.csv",
            exit: 1,
            needles: &["cannot tell"],
            big: false,
            make: || noise(4096, 7),
        },
        Case {
            name: "bad-hours-timesheets.csv",
            exit: 1,
            needles: &["row 2, column F", "row 3, column F"],
            big: false,
            make: || {
                format!("{TIMESHEET_HEADER}AG-001,2025,1,PR200,15.50,-4,S\nAG-001,2025,2,PR200,15.50,lots,S\nAG-001,2025,99,PR200,15.50,1,S\n")
                    .into_bytes()
            },
        },
        Case {
            name: "bad-enums-payment-rates.csv",
            exit: 1,
            needles: &["row 2, column C", "row 3, column D"],
            big: false,
            make: || {
                b"Code,Description,Type,Units,Hours Per Unit\nPR200,Standard,Banana,Hourly,1\nPR201,Overtime,Rate,Fortnights,1\n".to_vec()
            },
        },
        Case {
            name: "bad-pps-candidates-ie.csv",
            exit: 1,
            needles: &["row 2, column E", "row 2, column H"],
            big: false,
            make: || {
                b"Agency Ref;Forename;Surname;Date of Birth;PPS Number;Address Line 1;City;Eircode;Email;Pay Frequency;Payment Model;IBAN\nIE-001;Aoife;Byrne;1992-02-01;1234567XX;1 Main St;Dublin;ZZZ;aoife@example.ie;Weekly;PAYE;IE29AIBK93115212345678\n".to_vec()
            },
        },
        Case {
            name: "tab-separated-candidates.tsv",
            exit: 1,
            needles: &["row 2, column F"],
            big: false,
            make: || {
                String::from_utf8_lossy(&candidates_csv(&[&[(5, "bad")]]))
                    .replace(',', "\t")
                    .into_bytes()
            },
        },
        Case {
            name: "candidates.pdf",
            exit: 2,
            needles: &["not supported"],
            big: false,
            make: || b"%PDF-1.4\n".to_vec(),
        },
        Case {
            name: "candidates-no-extension",
            exit: 2,
            needles: &["not supported"],
            big: false,
            make: || candidates_csv(&[&[]]),
        },
    ]
}
