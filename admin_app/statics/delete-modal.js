// The details page's delete modal names the row (see templates/sqladmin/modals/delete.html):
// SQLAdmin's own script writes "This will permanently delete Event 12?"; this one, loaded
// after it, replaces that with the row's name and what its cascades take with it. A list
// row's Delete link opens the confirmation page instead (admin_app/views/delete_page.py),
// which says the same from the server, with or without JavaScript.
document.addEventListener('DOMContentLoaded', function () {
  document.addEventListener('shown.bs.modal', function (event) {
    var text = document.getElementById('modal-delete-text');
    if (!text || event.target.id !== 'modal-delete') { return; }
    var facts = document.getElementById('delete-facts');
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
    }
  });
});
