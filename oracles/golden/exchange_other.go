//go:build !linux

package golden

import "os"

// exchange has no atomic implementation off Linux; Write falls back to two
// renames (see replaceCase).
func exchange(a, b string) error {
	return &os.LinkError{Op: "exchange", Old: a, New: b, Err: errExchangeUnsupported}
}

func renameNoReplace(a, b string) error { return renameIfAbsent(a, b) }
