{{%AUTOESCAPE context="HTML"}}
{{#room}}
<section class="room" aria-labelledby="room-title" data-room="{{id}}" data-room-next="{{next}}" data-room-rate="{{rate}}" data-room-opens="{{opens}}">
  <p class="eyebrow">Waiting room</p>
  <h1 id="room-title">{{name}}</h1>
  <p class="room-lede">So many people want this sale at once that the shop lets them in a few at a time: {{rate}} a second, in the order of the queue. Your place is kept while you wait.</p>
{{#off}}
  <div class="alert alert-success" role="status" data-room-off>
    <p>There is no queue for this sale right now: go straight to it.{{#auto}} The queue starts by itself if more than {{threshold}} people a second arrive.{{/auto}}</p>
  </div>
{{/off}}
{{#place}}
  <div class="room-card" data-room-state="{{state}}">
    {{#out}}
    {{#lost}}
    <div class="alert alert-error" role="alert"><p>your place in this queue was lost: the shop's queue store restarted and lost its last moments. Join again; we are sorry for the wait.</p></div>
    {{/lost}}
    <h2>Join the queue</h2>
    <p>Take a place now. Everyone who joins before the sale opens gets a random place when it opens, so there is no need to hurry; after that, places follow the order people join in.</p>
    {{/out}}
    {{#prequeue}}
    <h2>You are in the queue</h2>
    <p>The sale has not opened yet. When it opens, everyone who joined before then ({{waiting_before_start}} people so far) gets a place in a random order, and this page shows yours.</p>
    {{/prequeue}}
    {{#waiting}}
    <h2>You are in the queue</h2>
    <p class="room-figures"><span class="room-ahead" data-room-ahead>{{ahead}}</span> <span>people ahead of you</span></p>
    <progress class="room-progress" max="100" value="{{progress}}" data-room-progress aria-label="Your way to the front of the queue">{{progress}}%</progress>
    <p>About <strong data-room-wait>{{wait_seconds}}</strong> seconds to wait at the room's pace. Your place number is {{ticket}}.</p>
    {{/waiting}}
    {{#admitted}}
    <h2>It is your turn</h2>
    <p>Your pass is ready: it lets you in until <time datetime="{{pass_expires_at}}" data-utc="{{pass_expires_at}}">{{pass_expires_at}}</time>, once.</p>
    {{/admitted}}
    {{#expired}}
    <h2>Your turn has passed</h2>
    <p>You were let in, but the pass was not used in time. It is given once per place.</p>
    {{/expired}}
  </div>
{{/place}}
  <div class="room-next">
    {{#place}}{{#out}}
    <form method="post" action="/rooms/{{room_id}}/join">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" class="btn btn-primary">Join the queue</button>
    </form>
    {{/out}}{{#waiting}}
    <form method="post" action="/rooms/{{room_id}}/leave">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" class="btn">Leave the queue</button>
    </form>
    {{/waiting}}{{#prequeue}}
    <form method="post" action="/rooms/{{room_id}}/leave">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <button type="submit" class="btn">Leave the queue</button>
    </form>
    {{/prequeue}}{{/place}}
    <p class="room-what-next" data-room-note>{{#place}}{{#admitted}}Go on to the sale; your pass goes with you.{{/admitted}}{{#waiting}}This page updates by itself, and takes you to the sale when your turn comes. Without JavaScript, refresh it to see where you are.{{/waiting}}{{#prequeue}}This page updates by itself. Without JavaScript, refresh it after the sale opens.{{/prequeue}}{{/place}}</p>
    <a class="btn{{#place}}{{#admitted}} btn-primary{{/admitted}}{{/place}}" href="{{next}}" data-room-go>Go to the sale</a>
  </div>
</section>
{{/room}}
<script src="/static/js/room.js" defer></script>
