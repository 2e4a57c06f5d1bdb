package ident

// LuhnValid reports whether s is at least two digits and passes the Luhn
// (mod 10) check. Any non-digit, including spaces, fails.
func LuhnValid(s string) bool {
	if len(s) < 2 || !allDigits(s) {
		return false
	}
	return luhnSum(s)%10 == 0
}

// luhnSum doubles every second digit from the right.
func luhnSum(s string) int {
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum
}

// luhnCheckDigit returns the digit that, appended to body, makes it pass.
func luhnCheckDigit(body string) byte {
	// Appending a 0 shifts body's digits into the doubled positions.
	s := luhnSum(body + "0")
	return byte('0' + (10-s%10)%10)
}

// ValidBankCard reports whether s is a bank card number: 16 to 19 digits
// (the lengths China UnionPay issues) passing the Luhn check. Spaces are not
// accepted; strip them first. A few old domestic debit cards do not carry a
// Luhn digit and are rejected, which suits the personal-information scan: it
// would rather miss them than flag every 16-digit number.
func ValidBankCard(s string) bool {
	return len(s) >= 16 && len(s) <= 19 && LuhnValid(s)
}
