package check

import (
	"errors"
	"net/url"
	"strings"
)

// transportError says why a request got no answer, without the URL (which
// may hold a secret, as a Slack webhook URL does) and without any secret
// in scrub.
func transportError(err error, scrub ...string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	for _, s := range scrub {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "<secret>")
		}
	}
	return msg
}

// firstLine is the first line of a body, bounded, for an error message.
func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "..."
	}
	return s
}
