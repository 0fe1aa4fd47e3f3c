#!/bin/sh
# Regenerates the binary workbook fixtures in tests/data/ (committed; run again only when the
# samples change). Needs LibreOffice (apt-get install libreoffice-calc-nogui) and python3.
#
#   monthly-batch.ods / monthly-batch.xls  the sample workbook as LibreOffice writes it, to show
#                                          that ods and xls read the same as the xlsx
#   date1904.xlsx                          a workbook using the 1904 date system (old Mac Excel)
set -eu
cd "$(dirname "$0")/.."
out=tests/data
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for format in ods xls; do
    soffice --headless -env:UserInstallation=file://"$tmp"/profile \
        --convert-to "$format" --outdir "$out" samples/workbook/monthly-batch.xlsx >/dev/null
done
python3 scripts/date1904.py "$out/date1904.xlsx"
ls -l "$out"
