// The delete modal names the row (see templates/sqladmin/modals/delete.html): SQLAdmin's
// own script writes "This will permanently delete Event 12?"; this one, loaded after it,
// replaces that with the row's name and what its cascades take with it.
// A list row's Delete link carries its address once, in its href (the confirmation page
// without JavaScript, admin_app/views/delete_page.py; "#modal-delete" is Bootstrap's
// target), not again in data-url (the 50-row page's size budget): the modal's button,
// which SQLAdmin's script sends the DELETE from, gets it from there.
document.addEventListener('DOMContentLoaded', function () {
  document.addEventListener('shown.bs.modal', function (event) {
    var text = document.getElementById('modal-delete-text');
    if (!text || event.target.id !== 'modal-delete') { return; }
    var facts = document.getElementById('delete-facts');
    var trigger = event.relatedTarget;
    if (trigger && !trigger.dataset.url && trigger.getAttribute('href')) {
      var address = trigger.getAttribute('href').split('#')[0];
      document.getElementById('modal-delete-button').setAttribute('data-url', address);
    }
    if (facts) {
      text.textContent = 'This will permanently delete the ' + facts.dataset.label + '.';
      var items = facts.content.querySelectorAll('li');
      var intro = document.createElement('p');
      intro.className = 'mt-2 mb-1';
      intro.textContent = items.length ? 'Deleted with it:' : 'Nothing else is deleted with it.';
      text.appendChild(intro);
      if (items.length) {
        var list = document.createElement('ul');
        list.className = 'text-start';
        items.forEach(function (item) { list.appendChild(item.cloneNode(true)); });
        text.appendChild(list);
      }
      return;
    }
    var row = trigger && trigger.closest ? trigger.closest('tr') : null;
    var cells = row ? row.querySelectorAll('td') : [];
    if (cells.length > 2 && trigger.dataset.pk) {
      var label = cells[2].textContent.trim();
      text.textContent = 'This will permanently delete the ' + String(trigger.dataset.name).toLowerCase()
        + ' “' + label + '” (#' + trigger.dataset.pk + ').';
    }
  });
});
