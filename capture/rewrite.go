package capture

// DecodeStored parses a stored statement's JSON (StatementRecord.Raw) into a tree whose
// numbers stay json.Number, so that EncodeStored gives the same bytes back for an
// unchanged tree. CodeInternal when raw is not a JSON object.
func DecodeStored(raw []byte) (Statement, error) {
	v, err := decodeJSONTree(raw)
	if err != nil {
		return nil, Internal(err, "stored statement is not JSON")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(CodeInternal, "stored statement is not a JSON object")
	}
	return Statement(m), nil
}

// EncodeStored returns what a store keeps for s after it was changed in place (the
// erasure of a person): its JSON as the LRS writes it (keys sorted, no HTML escaping)
// and its match keys.
func EncodeStored(s Statement) (raw []byte, keys []string) {
	return appendJSON(nil, s), MatchKeys(s)
}
