package git

// toolDefs lists every tool in the order clients see them. Each call
// builds fresh values, so no caller can change another's schemas.
func toolDefs() []toolDef {
	var defs []toolDef
	defs = append(defs, readTools()...)
	defs = append(defs, commitTools()...)
	defs = append(defs, refTools()...)
	defs = append(defs, remoteTools()...)
	defs = append(defs, sessionTools()...)
	return defs
}
