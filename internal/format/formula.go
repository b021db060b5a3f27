package format

import "strconv"

// Spreadsheets run a cell as a formula when its text begins with =, +, -
// or @ (and, in some, a tab or carriage return): a display name typed at a
// sign-in page as =HYPERLINK("https://evil.example","click") becomes a live
// link, or worse, when an analyst opens an exported CSV in Excel,
// LibreOffice or Google Sheets (OWASP, "CSV Injection"). Records are what
// users typed, so exports neutralise such cells: a leading single quote
// makes the spreadsheet show the text as it is. Plain numbers (-5, +1.5)
// are left alone: they are values, not formulas.
//
// Only what export writes for people is neutralised. The archived csv parts
// keep Graph's values exactly (DESIGN.md "Formats in detail": the archive
// is evidence, read back byte for byte by verify and export and by tools
// such as DuckDB); open them in a spreadsheet only through export.

// NeutralizeFormula returns cell, with a leading ' if a spreadsheet would
// run it as a formula.
func NeutralizeFormula(cell string) string {
	if !isFormula(cell) {
		return cell
	}
	return "'" + cell
}

func isFormula(cell string) bool {
	if cell == "" {
		return false
	}
	switch cell[0] {
	case '=', '@', '\t', '\r':
		return true
	case '+', '-':
		_, err := strconv.ParseFloat(cell, 64)
		return err != nil
	}
	return false
}

// NeutralizeRow appends row (one CSV row as this package writes it, without
// its terminator) to dst with every field passed through NeutralizeFormula.
func NeutralizeRow(dst, row []byte) ([]byte, error) {
	fields, err := splitRow(nil, row)
	if err != nil {
		return dst, err
	}
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		if isFormula(string(f)) {
			f = append([]byte{'\''}, f...)
		}
		dst = appendField(dst, f)
	}
	return dst, nil
}
