package hub

import (
	"errors"
	"net/url"
	"strings"
)

// X-Road identifiers (PR-REST §4.8): every part is percent-encoded on its
// own in a URL or a header, and holds only A–Z a–z 0–9 ' ( ) + , - . = ?
// (the "stricter" set of v1.0.3, which X-Road's StrictIdentifierValidator
// checks). The registry refuses anything else; the gateway refuses a
// request naming anything else.

// MaxIdentifier is the longest part of an identifier, as X-Road's central
// server allows.
const MaxIdentifier = 255

// ValidIdentifier reports whether s may be one part of an identifier.
func ValidIdentifier(s string) bool {
	if s == "" || len(s) > MaxIdentifier {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !identChar(s[i]) {
			return false
		}
	}
	return true
}

func identChar(c byte) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("'()+,-.=?", c) >= 0
}

// MemberClasses are the member classes this hub knows: state bodies,
// companies, other organisations, non-governmental organisations and
// private persons (X-Road's instances define theirs in the global
// configuration; these are the usual ones).
var MemberClasses = []string{"GOV", "COM", "ORG", "NGO", "PRIV"}

// Object types, as X-Road's identifiers name them.
const (
	ObjectMember    = "MEMBER"
	ObjectSubsystem = "SUBSYSTEM"
	ObjectService   = "SERVICE"
)

// ClientID names a member (Subsystem empty) or one of its subsystems.
type ClientID struct {
	Instance, Class, Member, Subsystem string
}

// ServiceID names a service of a subsystem: X-Road's REST protocol always
// has the subsystem (its code splits the path into seven parts).
type ServiceID struct {
	ClientID
	Code string
}

// escapeSegment percent-encodes one part as a path segment, as X-Road's
// encodeXRoadId does (Guava's path-segment escaper): of the identifier
// characters only ? is encoded.
func escapeSegment(s string) string {
	i := 0
	for i < len(s) && plainSegmentByte(s[i]) {
		i++
	}
	if i == len(s) {
		return s // the usual case: nothing to escape, nothing allocated
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+8)
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		if c := s[i]; plainSegmentByte(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

func plainSegmentByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}

// String is the identifier as headers carry it: INSTANCE/CLASS/MEMBER[/SUBSYSTEM].
func (c ClientID) String() string {
	if c.Subsystem == "" {
		return escapeSegment(c.Instance) + "/" + escapeSegment(c.Class) + "/" + escapeSegment(c.Member)
	}
	return escapeSegment(c.Instance) + "/" + escapeSegment(c.Class) + "/" + escapeSegment(c.Member) + "/" + escapeSegment(c.Subsystem)
}

// IsSubsystem reports whether c names a subsystem.
func (c ClientID) IsSubsystem() bool { return c.Subsystem != "" }

// Member is the member c belongs to.
func (c ClientID) MemberID() ClientID { return ClientID{c.Instance, c.Class, c.Member, ""} }

// String is INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE, as X-Road-Service.
func (s ServiceID) String() string {
	c := s.ClientID
	if c.Subsystem == "" {
		return escapeSegment(c.Instance) + "/" + escapeSegment(c.Class) + "/" + escapeSegment(c.Member) + "/" + escapeSegment(s.Code)
	}
	return escapeSegment(c.Instance) + "/" + escapeSegment(c.Class) + "/" + escapeSegment(c.Member) + "/" + escapeSegment(c.Subsystem) + "/" + escapeSegment(s.Code)
}

// ObjectType is MEMBER or SUBSYSTEM.
func (c ClientID) ObjectType() string {
	if c.IsSubsystem() {
		return ObjectSubsystem
	}
	return ObjectMember
}

// Errors of parsing identifiers.
var (
	ErrClientParts  = errors.New("a client identifier has 3 or 4 parts: INSTANCE/CLASS/MEMBER[/SUBSYSTEM]")
	ErrServiceParts = errors.New("a service identifier has 5 parts: INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE")
	ErrIdentChars   = errors.New("an identifier part is empty, too long, or holds a character outside A-Z a-z 0-9 ' ( ) + , - . = ?")
)

// decodePart percent-decodes one part and checks its characters.
func decodePart(s string) (string, error) {
	d, err := url.PathUnescape(s)
	if err != nil || !ValidIdentifier(d) {
		return "", ErrIdentChars
	}
	return d, nil
}

// ParseClientID reads an X-Road-Client value (each part percent-encoded
// on its own).
func ParseClientID(s string) (ClientID, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 3 || len(parts) > 4 {
		return ClientID{}, ErrClientParts
	}
	var out [4]string
	for i, p := range parts {
		d, err := decodePart(p)
		if err != nil {
			return ClientID{}, err
		}
		out[i] = d
	}
	return ClientID{out[0], out[1], out[2], out[3]}, nil
}

// ParseServiceID reads INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE.
func ParseServiceID(s string) (ServiceID, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 {
		return ServiceID{}, ErrServiceParts
	}
	var out [5]string
	for i, p := range parts {
		d, err := decodePart(p)
		if err != nil {
			return ServiceID{}, err
		}
		out[i] = d
	}
	return ServiceID{ClientID{out[0], out[1], out[2], out[3]}, out[4]}, nil
}
