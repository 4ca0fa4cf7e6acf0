package actions

// Note journals that op asked for a control action (pause, resume, continue, abort) on
// the rollout, for runs that several people steer (molt serve). It is written before the
// action is applied; a run that has ended has a closed journal and Note fails.
func (e *Executor) Note(op Operator, action string) error {
	_, err := e.j.Append(Record{Kind: KindControl, Op: Op(action), Operator: &op})
	return err
}
