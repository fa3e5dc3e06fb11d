package core

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// IDsOf lists the ids that id reads from each of list, in order, for a query "id IN ?".
func IDsOf[T any](list []T, id func(T) int64) []int64 {
	ids := make([]int64, len(list))
	for i, v := range list {
		ids[i] = id(v)
	}
	return ids
}

// IDString is an id as URLs, audit events and cursors write it.
func IDString(id int64) string { return strconv.FormatInt(id, 10) }

// EncodeCursor makes an opaque keyset cursor of a sort key and an id.
func EncodeCursor(key string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(IDString(id) + "|" + key))
}

// DecodeCursor reads a cursor made by EncodeCursor; a damaged one is EINVALID on "after".
func DecodeCursor(c string) (string, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if idPart, key, ok := strings.Cut(string(b), "|"); ok {
			if id, err := strconv.ParseInt(idPart, 10, 64); err == nil {
				return key, id, nil
			}
		}
	}
	return "", 0, Invalid("after", "The page link is not valid: go back to the first page")
}

// NewToken makes a 256-bit random secret for a cookie, link or API token, and its hash: only
// the hash is stored.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand since Go 1.24)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, TokenHash(token)
}

func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Find is the first of list that match accepts. err is that of reading list, returned as it is
// when not nil; ENOTFOUND with message notFound when nothing matches.
func Find[T any](list []T, err error, match func(T) bool, notFound string) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if i := slices.IndexFunc(list, match); i >= 0 {
		return list[i], nil
	}
	return zero, NotFound(notFound)
}
