# agent/: selfballoond (see the agent issue).
