// Package wire holds what the go-kit addsvc and trimsvc of the benchmark share: trim's gRPC messages and the
// codec that puts them on the wire.
//
// The codec is written by hand: TrimRequest and TrimResponse are each one string in field 1 (trim.proto), and a
// hand-written codec spares the benchmark protoc-gen-go, which Debian ships only for an older protobuf API than
// its grpc wants. The bytes are the ones protoc-generated code writes for these messages.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// TrimRequest is pb.TrimRequest: the string to trim.
type TrimRequest struct{ S string }

// TrimResponse is pb.TrimResponse: the string without spaces.
type TrimResponse struct{ S string }

// Codec encodes and decodes TrimRequest and TrimResponse as protobuf.
type Codec struct{}

// Name is the content-subtype of the codec, "proto" as for generated code.
func (Codec) Name() string { return "proto" }

// String names the codec for grpc.CustomCodec, the server option of the grpc in Debian bookworm.
func (Codec) String() string { return "proto" }

// Marshal writes field 1 as a length-delimited string (tag 0x0a), omitted when empty.
func (Codec) Marshal(v interface{}) ([]byte, error) {
	var s string
	switch m := v.(type) {
	case *TrimRequest:
		s = m.S
	case *TrimResponse:
		s = m.S
	default:
		return nil, fmt.Errorf("wire: cannot marshal %T", v)
	}
	if s == "" {
		return []byte{}, nil
	}
	out := make([]byte, 0, len(s)+1+binary.MaxVarintLen64)
	out = append(out, 0x0a)
	out = binary.AppendUvarint(out, uint64(len(s)))
	return append(out, s...), nil
}

// Unmarshal reads field 1 and skips any other field, as protobuf does.
func (Codec) Unmarshal(data []byte, v interface{}) error {
	s, err := field1(data)
	if err != nil {
		return err
	}
	switch m := v.(type) {
	case *TrimRequest:
		m.S = s
	case *TrimResponse:
		m.S = s
	default:
		return fmt.Errorf("wire: cannot unmarshal into %T", v)
	}
	return nil
}

var errMalformed = errors.New("wire: malformed message")

func field1(data []byte) (string, error) {
	s := ""
	for len(data) > 0 {
		key, n := binary.Uvarint(data)
		if n <= 0 {
			return "", errMalformed
		}
		data = data[n:]
		switch key & 7 {
		case 0:
			_, n = binary.Uvarint(data)
			if n <= 0 {
				return "", errMalformed
			}
			data = data[n:]
		case 1:
			if len(data) < 8 {
				return "", errMalformed
			}
			data = data[8:]
		case 2:
			size, n := binary.Uvarint(data)
			if n <= 0 || uint64(len(data)-n) < size {
				return "", errMalformed
			}
			if key>>3 == 1 {
				s = string(data[n : n+int(size)])
			}
			data = data[n+int(size):]
		case 5:
			if len(data) < 4 {
				return "", errMalformed
			}
			data = data[4:]
		default:
			return "", errMalformed
		}
	}
	return s, nil
}
