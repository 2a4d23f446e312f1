package extension_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
)

// WebM (Matroska, https://www.matroska.org/technical/elements.html) element IDs used here.
const (
	idEBML     = 0x1A45DFA3
	idSegment  = 0x18538067
	idInfo     = 0x1549A966
	idDuration = 0x4489
	idSeekHead = 0x114D9B74
)

// vint reads an EBML variable-size integer at b[0:]: its value (marker bit kept for IDs,
// dropped for sizes), its length and whether it is the reserved "unknown size".
func vint(b []byte, keepMarker bool) (v uint64, n int, unknown bool, err error) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false, errors.New("bad EBML integer")
	}
	n = bits.LeadingZeros8(b[0]) + 1
	if len(b) < n {
		return 0, 0, false, errors.New("truncated EBML integer")
	}
	first := uint64(b[0])
	if !keepMarker {
		first &= 0xFF >> n
	}
	v = first
	allOnes := first == uint64(0xFF>>n)
	for _, x := range b[1:n] {
		v = v<<8 | uint64(x)
		allOnes = allOnes && x == 0xFF
	}
	return v, n, !keepMarker && allOnes, nil
}

// sizeVint encodes size as an 8-byte EBML size.
func sizeVint(size uint64) []byte {
	out := make([]byte, 8)
	binary.BigEndian.PutUint64(out, size)
	out[0] = 0x01
	return out
}

// withDuration returns the WebM file webm with a Duration of ms milliseconds in its
// Segment Info (when it has none), as MediaRecorder writes files without one and a
// player then reports an infinite duration. The Segment must have an unknown size or
// no SeekHead, as MediaRecorder writes it.
func withDuration(webm []byte, ms float64) ([]byte, error) {
	id, n, _, err := vint(webm, true)
	if err != nil || id != idEBML {
		return nil, errors.New("not an EBML file")
	}
	size, m, _, err := vint(webm[n:], false)
	if err != nil {
		return nil, err
	}
	pos := n + m + int(size)
	segStart := pos
	id, n, _, err = vint(webm[pos:], true)
	if err != nil || id != idSegment {
		return nil, errors.New("no Segment after the EBML header")
	}
	segSize, m, segUnknown, err := vint(webm[pos+n:], false)
	if err != nil {
		return nil, err
	}
	body := pos + n + m
	for p := body; p < len(webm); {
		cid, cn, _, err := vint(webm[p:], true)
		if err != nil {
			return nil, err
		}
		csize, cm, _, err := vint(webm[p+cn:], false)
		if err != nil {
			return nil, err
		}
		if cid == idSeekHead && !segUnknown {
			return nil, errors.New("a SeekHead would need rewriting")
		}
		if cid != idInfo {
			p += cn + cm + int(csize)
			continue
		}
		info := webm[p+cn+cm : p+cn+cm+int(csize)]
		if bytes.Contains(info, []byte{0x44, 0x89}) {
			return webm, nil
		}
		dur := make([]byte, 8)
		binary.BigEndian.PutUint64(dur, math.Float64bits(ms))
		newInfo := append(append([]byte{}, info...), append([]byte{0x44, 0x89, 0x88}, dur...)...)
		var out bytes.Buffer
		out.Write(webm[:segStart])
		out.Write(webm[segStart : segStart+n])
		if segUnknown {
			out.Write(webm[segStart+n : body])
		} else {
			out.Write(sizeVint(segSize + uint64(len(newInfo)+8+len(idBytes(idInfo))) - uint64(p+cn+cm+int(csize)-p)))
		}
		out.Write(webm[body:p])
		out.Write(idBytes(idInfo))
		out.Write(sizeVint(uint64(len(newInfo))))
		out.Write(newInfo)
		out.Write(webm[p+cn+cm+int(csize):])
		return out.Bytes(), nil
	}
	return nil, errors.New("no Segment Info")
}

func idBytes(id uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, id)
	return bytes.TrimLeft(b, "\x00")
}
