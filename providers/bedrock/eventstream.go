package bedrock

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// The AWS event stream encoding (application/vnd.amazon.eventstream): each
// message is a 12-byte prelude (total length, headers length, prelude
// CRC32), headers, payload, and a message CRC32. AWS bounds a message at
// 16 MB and its headers at 128 KB.
const (
	preludeLen   = 12
	minFrameLen  = preludeLen + 4
	maxFrameLen  = 16 << 20
	maxHeaderLen = 128 << 10
)

// frameReader reads event stream messages from an upstream body one at a
// time. It reads a message's bytes itself, after checking the lengths its
// prelude claims, and hands exactly those bytes to the AWS SDK's decoder,
// which checks both CRCs and parses the headers: a lying length can neither
// make the gateway hold more than one bounded message nor read into the
// next one.
type frameReader struct {
	r       io.Reader
	dec     *eventstream.Decoder
	frame   bytes.Buffer
	payload []byte
	// rest and whole are reused per message (the decoder itself allocates
	// its headers).
	rest  io.LimitedReader
	whole bytes.Reader
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: r, dec: eventstream.NewDecoder()}
}

// errTruncated is a stream that ended inside a message.
var errTruncated = errors.New("the event stream ended inside a message")

// next returns the next message; io.EOF when the stream ended between
// messages. The message's payload is valid until the next call.
func (f *frameReader) next() (eventstream.Message, error) {
	var prelude [preludeLen]byte
	if _, err := io.ReadFull(f.r, prelude[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			err = errTruncated
		}
		return eventstream.Message{}, err // io.EOF: between messages
	}
	total := binary.BigEndian.Uint32(prelude[0:4])
	headers := binary.BigEndian.Uint32(prelude[4:8])
	switch {
	case total < minFrameLen || total > maxFrameLen:
		return eventstream.Message{}, fmt.Errorf("an event stream message claims %d bytes", total)
	case headers > maxHeaderLen || headers > total-minFrameLen:
		return eventstream.Message{}, fmt.Errorf("an event stream message claims %d bytes of headers in %d", headers, total)
	}
	f.frame.Reset()
	f.frame.Write(prelude[:])
	want := int64(total) - preludeLen
	f.rest = io.LimitedReader{R: f.r, N: want}
	n, err := f.frame.ReadFrom(&f.rest)
	if err != nil {
		return eventstream.Message{}, err
	}
	if n < want {
		return eventstream.Message{}, errTruncated
	}
	f.whole.Reset(f.frame.Bytes())
	msg, err := f.dec.Decode(&f.whole, f.payload[:0])
	if err != nil {
		return eventstream.Message{}, fmt.Errorf("an event stream message is malformed: %w", err)
	}
	if cap(msg.Payload) > cap(f.payload) {
		f.payload = msg.Payload[:0] // keep the larger buffer for the next one
	}
	return msg, nil
}

// headerString is a string header's value, or "".
func headerString(m *eventstream.Message, name string) string {
	for i := range m.Headers {
		if m.Headers[i].Name == name {
			if v, ok := m.Headers[i].Value.(eventstream.StringValue); ok {
				return string(v)
			}
			return m.Headers[i].Value.String()
		}
	}
	return ""
}
