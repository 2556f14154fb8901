package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxMessageSize bounds one JSON-RPC message from a client.
const MaxMessageSize = 4 << 20

// lineTransport is newline-delimited JSON-RPC over a byte stream that
// survives bad input: a line that is too long, not UTF-8 or not a JSON-RPC
// message gets a JSON-RPC error response and the connection keeps serving.
// (The SDK's own stream transport stops at the first undecodable message.)
type lineTransport struct {
	r    io.Reader
	w    io.Writer
	c    io.Closer  // may be nil
	fast *fastTools // may be nil: every message goes to the SDK
}

func (t *lineTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	c := &lineConn{lines: lineReader{r: bufio.NewReaderSize(t.r, 64<<10), limit: MaxMessageSize}, out: lineWriter{w: t.w}, c: t.c}
	if t.fast != nil {
		c.fast = newFastConn(ctx, t.fast)
	}
	return c, nil
}

type lineConn struct {
	lines lineReader
	out   lineWriter
	fast  *fastConn // may be nil
	c     io.Closer

	closeOnce sync.Once
}

// lineWriter writes whole messages, one per line, and none once closed.
type lineWriter struct {
	mu   sync.Mutex // whole messages only
	w    io.Writer
	shut atomic.Bool
}

// writeLine writes one encoded message (without its newline).
func (lw *lineWriter) writeLine(data []byte) error {
	if lw.shut.Load() {
		return io.ErrClosedPipe
	}
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.shut.Load() {
		return io.ErrClosedPipe
	}
	_, err := lw.w.Write(append(data, '\n'))
	return err
}

// close refuses later writes. It does not wait for a write in progress: a
// peer that stopped reading must not keep its connection from closing
// (closing the underlying pipe or socket is what ends such a write).
func (lw *lineWriter) close() { lw.shut.Store(true) }

func (c *lineConn) SessionID() string { return "" }

func (c *lineConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	for {
		line, tooLong, err := c.lines.next()
		if err != nil {
			return nil, err
		}
		if tooLong {
			c.reject(jsonrpc.CodeInvalidRequest, fmt.Sprintf("message larger than %d bytes", MaxMessageSize))
			continue
		}
		if len(trimSpace(line)) == 0 {
			continue
		}
		if !utf8.Valid(line) {
			c.reject(jsonrpc.CodeParseError, "message is not valid UTF-8")
			continue
		}
		if c.fast != nil && c.fast.intercept(line, c.out.writeLine) {
			continue
		}
		msg, err := jsonrpc.DecodeMessage(line)
		if err != nil {
			c.reject(jsonrpc.CodeParseError, "malformed JSON-RPC message")
			continue
		}
		if r, ok := msg.(*jsonrpc.Response); ok && r.Result == nil && r.Error == nil {
			// Neither a request (no method) nor a response: the SDK would
			// drop it silently and the client would wait forever.
			c.rejectID(r.ID.Raw(), jsonrpc.CodeInvalidRequest, "invalid request: no method")
			continue
		}
		return msg, nil
	}
}

// lineReader splits a byte stream into lines of at most limit bytes.
type lineReader struct {
	r     *bufio.Reader
	limit int
}

// next returns the next line without its newline. A line over the limit is
// consumed and reported as tooLong without being kept in memory.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if len(buf)+len(chunk) > lr.limit+1 {
			tooLong = true
			buf = buf[:0]
		} else if !tooLong {
			buf = append(buf, chunk...)
		}
		switch {
		case err == nil:
			if tooLong {
				return nil, true, nil
			}
			return buf[:len(buf)-1], false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0 && !tooLong:
			return buf, false, nil
		default:
			return nil, false, err
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// rejectID answers an invalid message whose id is known.
func (c *lineConn) rejectID(id any, code int64, msg string) {
	idJSON, err := json.Marshal(id)
	if err != nil {
		idJSON = []byte("null")
	}
	_ = c.out.writeLine(fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"error":{"code":%d,"message":%q}}`, idJSON, code, msg))
}

// reject answers a message that could not be read. Its id is unknown, so
// it is null, as JSON-RPC prescribes for parse errors.
func (c *lineConn) reject(code int64, msg string) {
	_ = c.out.writeLine(fmt.Appendf(nil, `{"jsonrpc":"2.0","id":null,"error":{"code":%d,"message":%q}}`, code, msg))
}

func (c *lineConn) Write(_ context.Context, msg jsonrpc.Message) error {
	if resp, ok := msg.(*jsonrpc.Response); ok && c.fast != nil {
		c.fast.learn(resp)
	}
	return c.send(msg)
}

// send writes one message as a line.
func (c *lineConn) send(msg jsonrpc.Message) error {
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return err
	}
	return c.out.writeLine(data)
}

func (c *lineConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		if c.fast != nil {
			c.fast.close()
		}
		c.out.close()
		if c.c != nil {
			err = c.c.Close()
		}
	})
	return err
}
