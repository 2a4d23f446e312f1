// Package slack is Cairn's Slack app: it records learning and asks colleagues without
// leaving Slack. It wraps github.com/slack-go/slack (https://pkg.go.dev/github.com/slack-go/slack)
// and follows Slack's platform docs:
//
//   - request signing: https://api.slack.com/authentication/verifying-requests-from-slack
//   - slash commands: https://api.slack.com/interactivity/slash-commands
//   - Events API: https://api.slack.com/apis/events-api
//   - interactivity and modals: https://api.slack.com/interactivity/handling,
//     https://api.slack.com/surfaces/modals
//   - Block Kit: https://api.slack.com/block-kit
//
// App answers the three request kinds (Command, Event, Interaction) after verifying
// their signature, within Slack's 3-second limit: slow work (page titles, identity
// lookups, LRS writes, posts) runs afterwards in a bounded pool of background workers
// and reports through response_url or chat.postMessage. Statements are written through
// capture.StatementService under the app's own authority with context.platform
// "Slack" (design.md §5). The Q&A hub is reached through the small People and
// Questions interfaces; hub notifications come in through App.Deliver; the weekly
// digest is App.RunDigest, called by a scheduler.
package slack
